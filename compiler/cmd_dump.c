/*
 * cmd_dump.c - `kiln dump MODEL [--input FILE]... [--fuse-qdq]`: imports a
 * model and prints its IR, one line per node.
 *
 * The i-th --input gives the value of the model's i-th declared input (a
 * TensorProto .pb or a .npy file); the importer uses it to fix symbolic
 * dimensions and to freeze inputs whose value it needs at compile time.
 * --fuse-qdq runs the QDQ fusion pass before printing.  It writes nothing
 * but stdout; errors go to stderr with exit code 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "import/import.h"
#include "import/tensor_file.h"
#include "passes/fuse_qdq.h"
#include "util/sbuf.h"
#include "util/suggest.h"

static const char usage_text[] =
    "usage: kiln dump MODEL [--input FILE]... [--shape INPUT=DIMS]... [--const INPUT=VALUE|FILE]... [--fuse-qdq]\n"
    "  MODEL          an .onnx or .tflite file\n"
    "  --input FILE   value of the next declared model input (TensorProto .pb or .npy)\n"
    "  --shape INPUT=DIMS        fix an input's symbolic dimensions (INPUT: name or position; 1x1280)\n"
    "  --const INPUT=VALUE|FILE  freeze an input to a value (16000, 1,2,3, or a .npy/.pb file)\n"
    "  --fuse-qdq     fuse DequantizeLinear -> op -> QuantizeLinear into quantized ops\n";

static void usage(FILE *f)
{
    fputs(usage_text, f);
}

int cmd_dump(int argc, char **argv)
{
    const char *model = NULL;
    bool fuse = false;
    int n_in = 0;
    tensor_value *vals = xcalloc((size_t)argc + 1, sizeof *vals);
    import_value *iv = xcalloc((size_t)argc + 1, sizeof *iv);
    const import_value **ptrs = xcalloc((size_t)argc + 1, sizeof *ptrs);
    char err[2048];
    int rc = 2;
    ir_graph *g = NULL;
    import_opts fixes = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(argv[i], "--input")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kiln dump: --input needs a file\n");
                goto out;
            }
            if (!tensor_file_read(argv[++i], &vals[n_in], err, sizeof err)) {
                fprintf(stderr, "kiln dump: %s\n", err);
                goto out;
            }
            n_in++;
        } else if (!strcmp(argv[i], "--shape") || !strcmp(argv[i], "--const")) {
            if (!parse_fix_opt(argc, argv, &i, "dump", &fixes))
                goto out;
        } else if (!strcmp(argv[i], "--fuse-qdq")) {
            fuse = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            report_unknown_option("dump", argv[i], usage_text);
            goto out;
        } else if (model) {
            fprintf(stderr, "kiln dump: more than one model given ('%s', '%s')\n", model, argv[i]);
            goto out;
        } else {
            model = argv[i];
        }
    }
    if (!model) {
        usage(stderr);
        goto out;
    }
    for (int i = 0; i < n_in; i++) {
        iv[i].dtype = vals[i].dtype;
        iv[i].rank = vals[i].rank;
        memcpy(iv[i].shape, vals[i].shape, sizeof iv[i].shape);
        iv[i].data = vals[i].data;
        iv[i].nbytes = vals[i].nbytes;
        ptrs[i] = &iv[i];
    }
    import_opts opts = {n_in, ptrs, fixes.n_fixes, fixes.fixes};
    g = import_model(model, &opts, err, sizeof err);
    if (!g) {
        fprintf(stderr, "kiln dump: %s\n", err);
        goto out;
    }
    if (fuse && !fuse_qdq(g, err, sizeof err)) {
        fprintf(stderr, "kiln dump: %s\n", err);
        goto out;
    }
    sbuf b = {0};
    ir_dump(g, &b);
    fputs(b.s ? b.s : "", stdout);
    sb_free(&b);
    rc = 0;
out:
    ir_free(g);
    for (int i = 0; i < n_in; i++)
        tensor_value_free(&vals[i]);
    free(vals);
    free(iv);
    free(ptrs);
    import_opts_free_fixes(&fixes);
    return rc;
}
