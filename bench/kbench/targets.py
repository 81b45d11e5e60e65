"""targets.py - the issues' targets, and whether one bench run meets them.

Each target names its issue, what it measures, the models it applies to, a
comparison and a limit.  A target is evaluated only for the models the run
measured; a figure the run did not produce (no QEMU, no baseline) is
reported as not measured (met = None), never as met.  The figures come from
the results only: nothing here measures anything.
"""
KWS, VWW, IC, AD, SWW = "kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8", "str_ww_ref_model"
VWW_F, IC_F, AD_F = "vww_96_float", "pretrainedResnet", "ad01_fp32"
CNN_F, SMALL_F = "float_cnn", "small_cnn"   # float ONNX models (tests/models), 30.7 M and 0.73 M MACs


def _depthwise3x3_worst(r):
    """Worst instructions per MAC over the 3x3 depthwise layers (kernel named depthwise, 3x3 weights)."""
    vals = [l["instructions_per_mac"] for l in r.get("layers") or []
            if "depthwise" in l["kernel"] and (l.get("weight_shape") or [])[-2:] == [3, 3]
            and l["instructions_per_mac"] is not None]
    return max(vals) if vals else None


def _requant_per_output(r):
    """The fixed instructions per output of the conv/FC layers (kbench/requant.py): an upper bound."""
    return (r.get("requant") or {}).get("instructions_per_output")


def _over_lower_bound(r):
    # The issue's bound: the most bytes live at once with no kernel in place.
    a = r.get("arena_bytes")
    lb = r.get("arena_lower_bound_without_inplace_bytes", r.get("arena_lower_bound_bytes"))
    return None if a is None or lb is None else a - lb


def _runtime_text(r):
    return ((r.get("code") or {}).get("runtime_kernels") or {}).get("text")


# (issue, what, models, metric: key or function, comparison, limit)
TARGETS = [
    (9, "instructions per MAC on QEMU", [KWS, VWW, IC], "instructions_per_mac", "<=", 1.0),
    (9, "instructions per MAC on QEMU", [AD], "instructions_per_mac", "<=", 1.5),
    (9, "depthwise 3x3 instructions per MAC (worst layer)", [KWS, VWW], _depthwise3x3_worst, "<=", 3.0),
    (9, "outputs identical to TFLM on QEMU (0 LSB)", [KWS, VWW, IC, AD, SWW], "qemu_outputs_match", "==", True),
    (9, "outputs identical to TFLM on the host (0 LSB)", [KWS, VWW, IC, AD, SWW], "host_outputs_match", "==", True),
    (9, "requantization instructions per output (fixed part per output, upper bound)", [VWW, IC, AD],
     _requant_per_output, "<=", 12.0),
    (9, "runtime + kernels text bytes", [KWS], _runtime_text, "<=", 12288),
    # the issue's goal: beat TFLM + CMSIS-NN by 2.5x or more (instructions, same counter)
    (9, "instructions ÷ TFLM + CMSIS-NN's", [KWS, VWW, IC, AD, SWW], "instructions_vs_cmsis_nn", "<=", 0.4),
    (9, "host speed-up over the baseline", [KWS, VWW, IC, AD], "host_speedup_vs_baseline", ">=", 5.0),
    (10, "arena bytes", [KWS], "arena_bytes", "<=", 9600),
    (10, "arena bytes", [VWW], "arena_bytes", "<=", 44000),
    (10, "arena bytes above the lower bound", [IC, AD], _over_lower_bound, "<=", 0),
    (12, "instructions per MAC on QEMU", [VWW_F, IC_F], "instructions_per_mac", "<=", 2.0),
    (12, "instructions per MAC on QEMU", [AD_F], "instructions_per_mac", "<=", 2.5),
    (12, "outputs within the float tolerance on QEMU", [VWW_F, IC_F, AD_F, CNN_F, SMALL_F], "qemu_outputs_match",
     "==", True),
    (12, "outputs within the float tolerance on the host", [VWW_F, IC_F, AD_F, CNN_F, SMALL_F], "host_outputs_match",
     "==", True),
    (12, "host time ÷ onnxruntime (1 thread), same run and input", [CNN_F], "host_vs_onnxruntime", "<=", 2.0),
    (12, "host time ÷ onnxruntime (1 thread), same run and input", [SMALL_F], "host_vs_onnxruntime", "<", 1.0),
]

_CMP = {"<=": lambda v, l: v <= l, ">=": lambda v, l: v >= l, "==": lambda v, l: v == l, "<": lambda v, l: v < l}


def evaluate(models):
    """[{issue, target, model, comparison, limit, measured, met}] for the models measured."""
    rows = []
    for issue, what, names, metric, cmp, limit in TARGETS:
        for name in names:
            r = models.get(name)
            if r is None:
                continue
            v = metric(r) if callable(metric) else r.get(metric)
            rows.append({"issue": issue, "target": what, "model": name, "comparison": cmp, "limit": limit,
                         "measured": v, "met": None if v is None else bool(_CMP[cmp](v, limit))})
    return rows


def instructions_per_mac_target(name):
    """(comparison, limit) of a model's instructions-per-MAC target, or None."""
    for _, what, names, metric, cmp, limit in TARGETS:
        if metric == "instructions_per_mac" and name in names:
            return cmp, limit
    return None
