/*
 * onnx_ops_resize.c - ONNX Resize (opsets 10, 11, 13, 18, 19) and the old
 * Upsample (7, 9) into one IR RESIZE with every per-axis quantity resolved.
 *
 * Relies on onnx_helpers.c; roi, scales and sizes must be known at compile
 * time.  What it resolves, following the ONNX reference implementation:
 *   - output sizes: floor(in * scale) from scales; sizes as given (stretch)
 *     or scaled by one common factor, rounded half up (not_larger /
 *     not_smaller keep_aspect_ratio_policy);
 *   - the scale used by the coordinate transform: the given scale, out/in
 *     for sizes, or the common factor under a keep_aspect_ratio_policy;
 *   - axes (opset 18) expanded to every axis, roi to per-axis start/end;
 *   - opset 10 Resize and Upsample: asymmetric coordinates; nearest picks
 *     floor when enlarging and ceil when shrinking (as onnxruntime and the
 *     conformance data do), which is repetition for integer factors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"

typedef struct resize_plan {
    int rank;
    int64_t in[IR_MAX_DIMS], out[IR_MAX_DIMS];
    ir_resize_attr a;
} resize_plan;

static bool const_floats(onnx_ctx *c, int k, double **v, int64_t *n, bool *present)
{
    *present = false;
    *v = NULL;
    *n = 0;
    if (!ox_has_in(c, k))
        return true;
    int t;
    if (!ox_in_const(c, k, &t) || !ox_const_f64(c, t, v, n))
        return false;
    *present = true;
    return true;
}

static bool emit(onnx_ctx *c, int x, const resize_plan *p)
{
    int y;
    if (!ox_out(c, 0, ox_t(c, x)->dtype, p->rank, p->out, &y))
        return false;
    int nd = ox_node(c, IR_OP_RESIZE, 1, &x, 1, &y);
    c->g->nodes[nd].attr.resize = p->a;
    return true;
}

static bool check_input(onnx_ctx *c, int x, resize_plan *p)
{
    const ir_tensor *t = ox_t(c, x);
    if (t->dtype == IR_DT_BOOL)
        return ox_unsupported(c, "resizing a bool tensor");
    p->rank = t->rank;
    for (int i = 0; i < t->rank; i++)
        p->in[i] = t->shape[i];
    ir_attr tmp;
    ir_attr_init(&tmp);
    p->a = tmp.resize;
    return true;
}

/* out = floor(in * scale), computed in double as the reference does. */
static bool out_from_scale(onnx_ctx *c, resize_plan *p, int axis, double s)
{
    if (!(s > 0) || !isfinite(s) || s > 1e6)
        return ox_err(c, "scale %g on axis %d (scales must be positive)", s, axis);
    double o = floor((double)p->in[axis] * s);
    if (o > (double)((int64_t)1 << 31))
        return ox_err(c, "output dimension %d would be %g", axis, o);
    p->out[axis] = (int64_t)o;
    p->a.scale[axis] = s;
    return true;
}

/* Opset 10 Resize and Upsample: asymmetric coordinates, nearest floor when
 * enlarging, ceil when shrinking. */
static bool legacy(onnx_ctx *c, int x, const double *scales, int64_t n, const char *mode)
{
    resize_plan p;
    if (!check_input(c, x, &p))
        return false;
    if (n != p.rank)
        return ox_err(c, "scales has %lld values for rank %d", (long long)n, p.rank);
    bool up = false, down = false;
    for (int i = 0; i < p.rank; i++) {
        if (!out_from_scale(c, &p, i, scales[i]))
            return false;
        up |= scales[i] > 1;
        down |= scales[i] < 1;
    }
    p.a.coord = IR_COORD_ASYMMETRIC;
    if (!strcmp(mode, "nearest")) {
        if (up && down)
            return ox_unsupported(c, "nearest resizing that enlarges some axes and shrinks others before opset 11");
        p.a.mode = IR_RESIZE_NEAREST;
        p.a.nearest = down ? IR_NEAREST_CEIL : IR_NEAREST_FLOOR;
    } else if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) {
        p.a.mode = IR_RESIZE_LINEAR;
    } else {
        return ox_unsupported(c, "mode '%s'", mode);
    }
    return emit(c, x, &p);
}

bool ox_upsample(onnx_ctx *c)
{
    int x;
    char mode[16];
    if (!ox_in(c, 0, &x) || !ox_attr_str(c, "mode", "nearest", mode, sizeof mode))
        return false;
    double *s = NULL;
    int64_t n;
    bool ok, present;
    if (c->node_opset < 9) {
        float buf[IR_MAX_DIMS];
        int k;
        if (!ox_attr_floats(c, "scales", buf, IR_MAX_DIMS, &k))
            return false;
        if (k < 0)
            return ox_err(c, "attribute 'scales' is required");
        double d[IR_MAX_DIMS];
        for (int i = 0; i < k; i++)
            d[i] = buf[i];
        return legacy(c, x, d, k, mode);
    }
    if (!ox_has_in(c, 1))
        return ox_err(c, "input 'scales' is required");
    if (!const_floats(c, 1, &s, &n, &present))
        return false;
    ok = legacy(c, x, s, n, mode);
    free(s);
    return ok;
}

static bool coord_mode(onnx_ctx *c, const char *s, ir_coord_mode *m)
{
    static const struct { const char *name; ir_coord_mode m; int since; } modes[] = {
        {"half_pixel", IR_COORD_HALF_PIXEL, 11},
        {"half_pixel_symmetric", IR_COORD_HALF_PIXEL_SYMMETRIC, 19},
        {"pytorch_half_pixel", IR_COORD_PYTORCH_HALF_PIXEL, 11},
        {"align_corners", IR_COORD_ALIGN_CORNERS, 11},
        {"asymmetric", IR_COORD_ASYMMETRIC, 11},
        {"tf_crop_and_resize", IR_COORD_TF_CROP_AND_RESIZE, 11},
        {"tf_half_pixel_for_nn", IR_COORD_TF_HALF_PIXEL_FOR_NN, 11},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(s, modes[i].name) && c->node_opset >= modes[i].since) {
            *m = modes[i].m;
            return true;
        }
    return ox_unsupported(c, "coordinate_transformation_mode '%s'", s);
}

static bool nearest_mode(onnx_ctx *c, const char *s, ir_nearest_mode *m)
{
    if (!strcmp(s, "round_prefer_floor"))
        *m = IR_NEAREST_ROUND_PREFER_FLOOR;
    else if (!strcmp(s, "round_prefer_ceil"))
        *m = IR_NEAREST_ROUND_PREFER_CEIL;
    else if (!strcmp(s, "floor"))
        *m = IR_NEAREST_FLOOR;
    else if (!strcmp(s, "ceil"))
        *m = IR_NEAREST_CEIL;
    else
        return ox_unsupported(c, "nearest_mode '%s'", s);
    return true;
}

bool ox_resize(onnx_ctx *c)
{
    int x;
    char mode[16];
    if (!ox_in(c, 0, &x) || !ox_attr_str(c, "mode", "nearest", mode, sizeof mode))
        return false;
    if (c->node_opset < 11) {
        double *s;
        int64_t n;
        bool present;
        if (!ox_has_in(c, 1))
            return ox_err(c, "input 'scales' is required");
        if (!const_floats(c, 1, &s, &n, &present))
            return false;
        bool ok = legacy(c, x, s, n, mode);
        free(s);
        return ok;
    }
    resize_plan p;
    if (!check_input(c, x, &p))
        return false;
    int r = p.rank;
    char coord[32], nearest[32], policy[16];
    int64_t exclude, antialias;
    float cubic_a, extrap;
    int64_t axes_buf[2 * IR_MAX_DIMS];
    int na;
    if (!ox_attr_str(c, "coordinate_transformation_mode", "half_pixel", coord, sizeof coord) ||
        !ox_attr_str(c, "nearest_mode", "round_prefer_floor", nearest, sizeof nearest) ||
        !ox_attr_str(c, "keep_aspect_ratio_policy", "stretch", policy, sizeof policy) ||
        !ox_attr_int(c, "exclude_outside", 0, &exclude) || !ox_attr_int(c, "antialias", 0, &antialias) ||
        !ox_attr_float(c, "cubic_coeff_a", -0.75f, &cubic_a) ||
        !ox_attr_float(c, "extrapolation_value", 0.0f, &extrap) ||
        !ox_attr_ints(c, "axes", axes_buf, 2 * IR_MAX_DIMS, &na))
        return false;
    if (!strcmp(mode, "nearest"))
        p.a.mode = IR_RESIZE_NEAREST;
    else if (!strcmp(mode, "linear"))
        p.a.mode = IR_RESIZE_LINEAR;
    else if (!strcmp(mode, "cubic"))
        p.a.mode = IR_RESIZE_CUBIC;
    else
        return ox_unsupported(c, "mode '%s'", mode);
    if (!coord_mode(c, coord, &p.a.coord) || !nearest_mode(c, nearest, &p.a.nearest))
        return false;
    if (antialias && p.a.mode == IR_RESIZE_NEAREST)
        return ox_unsupported(c, "antialias with mode 'nearest'");
    p.a.cubic_a = cubic_a;
    p.a.exclude_outside = exclude != 0;
    p.a.antialias = antialias != 0;
    p.a.extrapolation_value = extrap;

    /* The axes the operands talk about (opset 18), in operand order. */
    int axes[IR_MAX_DIMS], n = r;
    if (na >= 0) {
        if (na > r)
            return ox_err(c, "axes has %d values for rank %d", na, r);
        uint32_t seen = 0;
        for (int i = 0; i < na; i++) {
            if (!ox_axis(c, axes_buf[i], r, "axis", &axes[i]))
                return false;
            if (seen & (1u << axes[i]))
                return ox_err(c, "axis %d is listed twice", axes[i]);
            seen |= 1u << axes[i];
        }
        n = na;
    } else {
        for (int i = 0; i < r; i++)
            axes[i] = i;
    }

    double *scales = NULL, *sizes_d = NULL, *roi = NULL;
    int64_t ns = 0, nz = 0, nr = 0;
    bool has_scales, has_sizes, has_roi, ok = false;
    if (!const_floats(c, 2, &scales, &ns, &has_scales))
        goto out;
    if (has_scales && ns == 0)
        has_scales = false;    /* opset 11: an empty scales tensor when sizes are given */
    if (!const_floats(c, 3, &sizes_d, &nz, &has_sizes))
        goto out;
    if (has_sizes && nz == 0)
        has_sizes = false;
    if (has_scales == has_sizes) {
        ox_err(c, has_scales ? "both scales and sizes are given" : "one of scales and sizes is required");
        goto out;
    }
    for (int i = 0; i < r; i++)
        p.out[i] = p.in[i];
    if (has_scales) {
        if (ns != n) {
            ox_err(c, "scales has %lld values, %d expected", (long long)ns, n);
            goto out;
        }
        for (int i = 0; i < n; i++)
            if (!out_from_scale(c, &p, axes[i], scales[i]))
                goto out;
    } else {
        if (nz != n) {
            ox_err(c, "sizes has %lld values, %d expected", (long long)nz, n);
            goto out;
        }
        for (int i = 0; i < n; i++) {
            if (!(sizes_d[i] >= 0) || sizes_d[i] > (double)((int64_t)1 << 31)) {
                ox_err(c, "sizes[%d] = %g", i, sizes_d[i]);
                goto out;
            }
            if (p.in[axes[i]] == 0) {
                ox_err(c, "cannot resize axis %d of size 0", axes[i]);
                goto out;
            }
        }
        if (!strcmp(policy, "stretch")) {
            for (int i = 0; i < n; i++) {
                int a = axes[i];
                p.out[a] = (int64_t)sizes_d[i];
                p.a.scale[a] = (double)p.out[a] / (double)p.in[a];
            }
        } else if (!strcmp(policy, "not_larger") || !strcmp(policy, "not_smaller")) {
            bool larger = !strcmp(policy, "not_smaller");
            double s = 0;
            for (int i = 0; i < n; i++) {
                double si = sizes_d[i] / (double)p.in[axes[i]];
                if (i == 0 || (larger ? si > s : si < s))
                    s = si;
            }
            for (int i = 0; i < n; i++) {
                int a = axes[i];
                p.a.scale[a] = s;
                p.out[a] = (int64_t)(s * (double)p.in[a] + 0.5);
            }
        } else {
            ox_unsupported(c, "keep_aspect_ratio_policy '%s'", policy);
            goto out;
        }
    }
    if (p.a.coord == IR_COORD_TF_CROP_AND_RESIZE) {
        if (!const_floats(c, 1, &roi, &nr, &has_roi))
            goto out;
        if (!has_roi) {
            ox_err(c, "tf_crop_and_resize needs the roi input");
            goto out;
        }
        if (nr != 2 * n) {
            ox_err(c, "roi has %lld values, %d expected", (long long)nr, 2 * n);
            goto out;
        }
        for (int i = 0; i < n; i++) {
            p.a.roi_start[axes[i]] = roi[i];
            p.a.roi_end[axes[i]] = roi[n + i];
        }
    }
    ok = emit(c, x, &p);
out:
    free(scales);
    free(sizes_d);
    free(roi);
    return ok;
}
