# Kiln - the front door.
#
#   make          build build/kiln (the CLI) and build/libkilnrt.a (the runtime, host build;
#                 libkilnrt-native.a: the same at -O3 -march=native, for validate --target host)
#   make demo     the main job, end to end on the bundled model (installs what it needs)
#   make test     every test, plus the sanitizer and Cortex-M builds (installs what it needs)
#   make test-long  the checks too long for make test: TFLM on QEMU, every model x seed x kernels
#   make arm      the runtime for Cortex-M7 with arm-none-eabi-gcc, checked for heap use
#   make bench    every MLPerf Tiny model: instructions/MAC on QEMU, per-layer profile, host
#                 latency, sizes; records bench/results/latest.json, docs/performance.md
#   make fuzz     every fuzz harness under libFuzzer, FUZZ_SECONDS (600) each (tests/fuzz/README.md)
#
# Sources are found by wildcard: a new .c file in compiler/, flash/ or runtime/
# is built without touching this file.  SAN=1 builds everything with
# AddressSanitizer + UndefinedBehaviorSanitizer (into build/san by default).

CC      ?= gcc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build/san
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD   ?= build
SANFLAGS :=
endif
OPT     ?= -O2
# The runtime (and the generated code `kiln validate --target host` builds) at
# -O3: the portable int8 kernels are written for the host compiler's
# vectoriser, which -O2 leaves off (docs/kernels-int8.md, "Build flags").
RT_OPT  ?= -O3

ROOT    := $(abspath .)
ABSBUILD = $(abspath $(BUILD))

WARN     := -Wall -Wextra -Werror
HOST_CFLAGS := -std=c11 $(OPT) -g $(WARN) -Wno-missing-field-initializers $(SANFLAGS) \
               -Iinclude -Icompiler -I. -MMD -MP
RT_CFLAGS   := -std=c99 $(RT_OPT) -g $(WARN) -pedantic $(SANFLAGS) -Iinclude -MMD -MP
HOST_LIBS   := -lcjson -lm

# How `kiln validate --target host` compiles generated code: the same compiler
# and sanitizers as this build, so kernels run under ASan/UBSan in SAN builds,
# at -O3 and for this machine's CPU (the harness runs here and nowhere else;
# validate says so in its output).  The runtime it links is built the same way
# (libkilnrt-native.a).
HOST_RUN_OPT ?= $(RT_OPT) -march=native
KILN_DEFS := -DKILN_ROOT='"$(ROOT)"' -DKILN_BUILD_DIR='"$(ABSBUILD)"' \
             -DKILN_HOST_CC='"$(CC)"' -DKILN_HOST_CFLAGS='"$(strip $(HOST_RUN_OPT) $(SANFLAGS))"'

RT_SRC   := $(wildcard runtime/*.c runtime/kernels/*.c)
HOST_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c compiler/*/*.c flash/*.c))
RT_OBJ   := $(RT_SRC:%.c=$(BUILD)/obj/%.o)
RT_NATIVE_OBJ := $(RT_SRC:%.c=$(BUILD)/obj-native/%.o)
HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all kiln runtime demo test test-long unit arm clean deps fuzz bench

all: kiln

kiln: $(BUILD)/kiln $(BUILD)/libkilnrt.a $(BUILD)/libkilnrt-native.a $(BUILD)/obj-native/harness-native.o

# validate --target host links this with the generated code (the model it
# runs is named at link time: --defsym kiln_harness_model=NET_model), so each
# validate compiles only the generated files.
$(BUILD)/obj-native/harness-native.o: firmware/host/harness.c
	@mkdir -p $(dir $@)
	$(CC) $(RT_CFLAGS) $(HOST_RUN_OPT) -c -o $@ $<

$(BUILD)/libkilnrt.a: $(RT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libkilnrt-native.a: $(RT_NATIVE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libkilnc.a: $(HOST_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/kiln: $(BUILD)/obj/compiler/main.o $(BUILD)/libkilnc.a $(BUILD)/libkilnrt.a
	$(CC) $(SANFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/obj/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(RT_CFLAGS) -c -o $@ $<

$(BUILD)/obj-native/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(RT_CFLAGS) $(HOST_RUN_OPT) -c -o $@ $<

$(BUILD)/obj/compiler/%.o: compiler/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(KILN_DEFS) -c -o $@ $<

$(BUILD)/obj/flash/%.o: flash/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkilnc.a $(BUILD)/libkilnrt.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(KILN_DEFS) -Itests -o $@ $< $(BUILD)/libkilnc.a $(BUILD)/libkilnrt.a \
	    -lcmocka $(HOST_LIBS)

unit: $(UNIT_BIN)

deps: build/.deps-stamp
build/.deps-stamp: scripts/install-deps.sh
	bash scripts/install-deps.sh
	@mkdir -p build && touch $@

# The main job: compile the bundled model, split its weights into a blob,
# program a simulated board, validate, and show the guard.
demo: deps
	$(MAKE) kiln
	bash examples/demo.sh

# Every test: unit and end-to-end on the normal build, again under ASan/UBSan,
# and the Cortex-M7 build of the runtime.  The last line is "N passed, N failed".
# Builds and tests use every CPU (TEST_JOBS=N to change; tests/run.sh -j).
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(MAKE) -j$(NPROC) kiln unit
	$(MAKE) -j$(NPROC) SAN=1 kiln unit
	bash tests/run.sh

# Longer checks kept out of `make test`'s CI budget: the whole TFLM-on-QEMU
# matrix (every model and seed alone, fast, compact, plain and cortex-m3).
test-long: deps
	$(MAKE) kiln
	KILN_TFLM_FULL=1 bash tests/e2e/tflm_reference_qemu.sh

arm:
	bash scripts/build-arm.sh

# Needs clang with libFuzzer; `make test` only smoke-runs the harnesses
# (tests/e2e/fuzz_smoke.sh).  FUZZ_SECONDS, FUZZ_TARGETS, FUZZ_JOBS: see run.sh.
fuzz:
	bash tests/fuzz/run.sh

# The benchmark (bench/README.md): numbers, never pass/fail.  `bench/run.sh --quick` is the short form;
# `make bench NOTE="..."` records a sentence with the results; the host speed-up is against BASELINE
# (main before the int8 kernels), extracted and built under build/bench by the bench itself.
BASELINE ?= cf32a7d
bench: deps
	$(MAKE) kiln
	bash bench/run.sh --record --baseline-commit $(BASELINE) $(if $(NOTE),--note "$(NOTE)")

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/obj-native $(BUILD)/tests -name '*.d' 2>/dev/null)
