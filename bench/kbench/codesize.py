"""codesize.py - flash and RAM of the code a network needs on the Cortex-M7.

Links the firmware's own objects for the runtime, the kernels and the
generated NET.c (compiled by `kiln validate --target qemu` at the firmware's
flags, kept with --keep) with bench/size_probe.c, an entry point that only
initialises and runs the network, at --gc-sections: what remains is what an
application pays for this network.  `arm-none-eabi-size` gives the totals;
the linker map splits them by origin (generated code, runtime, kernels, the
C and gcc libraries they pull in, the probe itself) with size's own rule:
text = read-only allocated sections (code and constants), data = writable
sections with contents, bss = allocated without contents.  The weights of an
inline build (NET_data.c) are reported apart, never as code.
"""
import os
import re

from .util import BenchError, output, run

CATEGORIES = ("generated", "runtime", "kernels", "libs", "weights", "probe", "firmware", "padding", "other")


def _section_classes(objdump, elf):
    """{output section: 'text'|'data'|'bss'} for allocated sections, from objdump -h."""
    classes, name = {}, None
    for line in output([objdump, "-h", elf]).splitlines():
        m = re.match(r"\s*\d+\s+(\S+)\s+[0-9a-f]+\s", line)
        if m:
            name = m.group(1)
        elif name:
            flags = {f.strip() for f in line.split(",")}
            if "ALLOC" in flags:
                classes[name] = ("bss" if "CONTENTS" not in flags
                                 else "text" if flags & {"READONLY", "CODE"} else "data")
            name = None
    return classes


def parse_map(text):
    """[(output section, input section, size, file)] of every input section placed, fill included."""
    body = text.split("Linker script and memory map", 1)[-1]
    out, section, pending = [], None, None
    for line in (l.rstrip() for l in body.splitlines()):
        m = re.match(r"^(\.\S+|\S+)\s*(0x[0-9a-f]+\s+0x[0-9a-f]+)?", line)
        if line and not line[0].isspace():
            section, pending = (m.group(1) if m else None), None
            continue
        m = re.match(r"^ (\*fill\*|\.\S*|COMMON)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\*fill\*|\.\S*|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+(\S.*))?$", line)
        if m and (m.group(1) or pending):
            name = m.group(1) or pending
            out.append((section, name, int(m.group(3), 16), (m.group(4) or "").strip()))
        pending = None
    return out


def categorize(path, origin):
    """Which part a file of the map belongs to; origin maps object paths to their sources."""
    if not path:
        return "padding"
    if "(" in path and path.endswith(")"):
        return "libs"
    src = origin.get(os.path.realpath(path), "")
    for cat, test in (("probe", lambda s: s.endswith("size_probe.c")),
                      ("kernels", lambda s: "/runtime/kernels/" in s),
                      ("runtime", lambda s: "/runtime/" in s),
                      ("weights", lambda s: s.endswith("_data.c")),
                      ("firmware", lambda s: "/firmware/" in s),
                      ("generated", lambda s: s.endswith(".c"))):
        if src and test(src):
            return cat
    return "other"


def split(map_text, classes, origin):
    """{category: {text, data, bss}} from a map."""
    sizes = {c: {"text": 0, "data": 0, "bss": 0} for c in CATEGORIES}
    for section, _, size, path in parse_map(map_text):
        cls = classes.get(section)
        if cls:
            sizes[categorize(path, origin)][cls] += size
    return sizes


def berkeley(size_tool, elf):
    """text, data, bss of `arm-none-eabi-size` (Berkeley format)."""
    lines = output([size_tool, elf]).splitlines()
    if len(lines) < 2:
        raise BenchError(f"{size_tool} could not read {elf}")
    t, d, b = (int(x) for x in lines[1].split()[:3])
    return {"text": t, "data": d, "bss": b}


def measure(tools, fw, probe_src, include, model_c_name, work):
    """Code sizes for the network built in fw (the validate --keep directory).

    fw: {dir, objects: {object path: source path}, arch: [flags], cflags: [flags]}; include: the
    runtime's include directory.
    Returns the JSON fragment: code_bytes, code{network, runtime_kernels, generated, libs, weights},
    firmware (size of the whole validation firmware), probe_elf."""
    cc, size_tool, objdump = tools["arm_cc"], tools["arm_size"], tools["arm_objdump"]
    keep = {o: s for o, s in fw["objects"].items() if "/firmware/" not in s}
    probe_o = os.path.join(work, "size_probe.o")
    elf, mapf = os.path.join(work, "size_probe.elf"), os.path.join(work, "size_probe.map")
    run([cc] + fw["arch"] + fw["cflags"] + [f"-I{include}", f"-DKILN_MODEL={model_c_name}_model", "-c", probe_src,
                                            "-o", probe_o],
        os.path.join(work, "size_probe.compile.log"))
    run([cc] + fw["arch"] + ["-nostartfiles", "-Wl,--gc-sections", "-Wl,-e,kiln_size_probe", f"-Wl,-Map={mapf}",
                             probe_o] + sorted(keep) + ["-lm", "-o", elf], os.path.join(work, "size_probe.link.log"))
    origin = {os.path.realpath(o): s for o, s in keep.items()}
    origin[os.path.realpath(probe_o)] = probe_src
    with open(mapf) as f:
        parts = split(f.read(), _section_classes(objdump, elf), origin)
    total = berkeley(size_tool, elf)
    for cls in ("text", "data", "bss"):
        counted = sum(p[cls] for p in parts.values())
        if counted != total[cls]:
            raise BenchError(f"{mapf}: the map's {cls} sections add up to {counted}, {size_tool} says {total[cls]}")
    add = lambda *cats: {k: sum(parts[c][k] for c in cats) for k in ("text", "data", "bss")}
    # Alignment fill goes with the code it pads; the probe's few bytes are not the network's.
    rk = add("runtime", "kernels", "libs", "padding", "other")
    net = add("runtime", "kernels", "libs", "padding", "other", "generated")
    fw_total = berkeley(size_tool, os.path.join(fw["dir"], "fw.elf"))
    return {
        "code_bytes": net["text"] + net["data"],
        "code": {"network": net, "runtime_kernels": rk, "generated": parts["generated"], "runtime": parts["runtime"],
                 "kernels": parts["kernels"], "libs": parts["libs"], "weights": parts["weights"],
                 "probe": parts["probe"], "probe_elf_total": total},
        "firmware_size": fw_total,
    }
