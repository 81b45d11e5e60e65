"""render.py - regenerates docs/performance.md from a recorded results JSON.

    python3 bench/render.py [RESULTS_JSON [OUT_MD]]

Defaults: bench/results/latest.json -> docs/performance.md.  The tables come
from kbench/render.py, the same code `make bench` uses, so the document never
holds a number typed by hand.
"""
import json
import os
import sys

from kbench import render

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main(argv):
    src = argv[1] if len(argv) > 1 else os.path.join(ROOT, "bench", "results", "latest.json")
    dst = argv[2] if len(argv) > 2 else os.path.join(ROOT, "docs", "performance.md")
    with open(src) as f:
        res = json.load(f)
    tmp = dst + ".tmp"
    with open(tmp, "w") as f:
        f.write(render.performance_doc(res))
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
