"""requant.py - the fixed cost per output of the int8 conv/FC kernels, from the per-layer profile.

A packed conv or FC layer costs, per output, a part proportional to its
reduction length K (the multiply-accumulates, and the expansion of its
inputs) plus a fixed part: the requantization (accumulator to int8, clamp,
store) and the per-output share of the channel-group and pixel loops.  Two
layers run by the same kernel with the same kernel window (weight_shape
[O, I, kh, kw]: the same kh x kw, so the same im2col path), the same output
shape and different K give both parts exactly:

    per_output(K) = instructions / outputs = fixed + slope * K
    fixed = (K2 * per_output(K1) - K1 * per_output(K2)) / (K2 - K1)

`fixed` is an upper bound on the requantization's instructions per output
(it includes the loop overheads).  Nothing is timed here: the figures come
from the `layers` of one bench run.
"""


def _outputs(shape):
    n = 1
    for d in shape or []:
        n *= d
    return n


def pairs(layers):
    """[{kernel, output_shape, layers, k, per_output, fixed, slope}] for each kernel and output shape with
    conv or FC layers of at least two reduction lengths (the shortest against the longest)."""
    groups = {}
    for l in layers or []:
        if l.get("source_op") not in ("CONV_2D", "FULLY_CONNECTED") or not l.get("macc"):
            continue
        outs = _outputs(l.get("output_shape"))
        if not outs or l["macc"] % outs:
            continue
        key = (l["kernel"], tuple((l.get("weight_shape") or [])[2:]), tuple(l["output_shape"]))
        groups.setdefault(key, {}).setdefault(l["macc"] // outs, l)
    out = []
    for (kernel, _, shape), by_k in sorted(groups.items()):
        if len(by_k) < 2:
            continue
        k1, k2 = min(by_k), max(by_k)
        a, b = by_k[k1], by_k[k2]
        p1, p2 = a["instructions"] / _outputs(shape), b["instructions"] / _outputs(shape)
        out.append({"kernel": kernel, "output_shape": list(shape), "layers": [a["index"], b["index"]],
                    "k": [k1, k2], "per_output": [round(p1, 2), round(p2, 2)],
                    "fixed": round((k2 * p1 - k1 * p2) / (k2 - k1), 2), "slope": round((p2 - p1) / (k2 - k1), 4)})
    return out


def summary(layers):
    """{instructions_per_output: the worst fixed part, pairs: [...]}, or None without a pair."""
    ps = pairs(layers)
    if not ps:
        return None
    return {"instructions_per_output": max(p["fixed"] for p in ps), "pairs": ps}
