# fuzz.mk - builds the fuzz harnesses (tests/fuzz/fuzz_*.c), one binary each.
#
#   make -f tests/fuzz/fuzz.mk [ENGINE=libfuzzer|driver] [KILN=build/kiln] -j2
#
# ENGINE=libfuzzer (what `make fuzz` uses): clang, coverage-guided libFuzzer,
# AddressSanitizer + UndefinedBehaviorSanitizer, every product source built
# with -fsanitize=fuzzer-no-link so the fuzzer sees its coverage.
# ENGINE=driver (the fallback where clang or its libFuzzer runtime is missing):
# $(DRIVER_CC) (gcc by default) with the same sanitizers and tests/fuzz/driver.c
# as main(): runs files and a simple deterministic mutator, no coverage.
#
# Both engines add float-cast-overflow to UBSan (clang's -fsanitize=undefined
# has it, gcc's does not): a NaN or huge float converted to an integer in a
# kernel is undefined behaviour, and input data can carry one.
#
# The blob, infer and firmware harnesses link generated networks: `$(KILN) generate`
# writes them into $(OUT)/nets at build time, so they always match the
# compiler in this tree.  Relies on: the product sources (found by wildcard,
# like the top-level Makefile), cJSON, libm, pthreads.  Writes only under
# $(OUT).
.DEFAULT_GOAL := all
ENGINE  ?= libfuzzer
KILN    ?= build/kiln
OUT     ?= build/fuzz/$(ENGINE)
ROOT    := $(abspath .)

SANS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(ENGINE),libfuzzer)
FCC       ?= clang
COV_FLAGS := -fsanitize=fuzzer-no-link
LINK_SAN  := -fsanitize=fuzzer,address,undefined,float-cast-overflow
DRIVER_O  :=
else
FCC       ?= $(or $(DRIVER_CC),gcc)
COV_FLAGS :=
LINK_SAN  := $(SANS)
DRIVER_O  := $(OUT)/obj/tests/fuzz/driver.o
endif
LIBKILN := $(OUT)/libkiln.a

# -Werror stays with the main build: a new clang warning must not stop fuzzing.
CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Wno-missing-field-initializers $(SANS) $(COV_FLAGS) \
          -Iinclude -Icompiler -I. -Itests/fuzz -MMD -MP \
          -DKILN_ROOT='"$(ROOT)"' -DKILN_BUILD_DIR='"$(abspath $(OUT))"' \
          -DKILN_HOST_CC='"cc"' -DKILN_HOST_CFLAGS='""'
LIBS   := -lcjson -lm -lpthread

PROD_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c compiler/*/*.c flash/*.c)) \
            $(wildcard runtime/*.c runtime/kernels/*.c)
PROD_OBJ := $(PROD_SRC:%.c=$(OUT)/obj/%.o)
COMMON_O := $(OUT)/obj/tests/fuzz/fuzz_util.o

TARGETS := onnx tflite tensor blob infer board vproto firmware gdb
BINS    := $(TARGETS:%=$(OUT)/fuzz_%)

# Networks the blob and firmware harnesses run (name, model, weights mode).
NET_fz_cnn := tests/models/small_cnn.onnx external
NET_fz_s8  := tests/models/qdq_torch_cnn.onnx external
NET_fz_cnn_in := tests/models/small_cnn.onnx inline
NET_fz_s8_in  := tests/models/qdq_torch_cnn.onnx inline
NET_fz_fw  := tests/fuzz/corpus/tflite/hello_world_int8.tflite inline

all: $(BINS)

$(OUT)/libkiln.a: $(PROD_OBJ)
	rm -f $@ && ar rcs $@ $^

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FCC) $(CFLAGS) -c -o $@ $<

# One directory per generated network; the stamp stands for its files.
.SECONDEXPANSION:
$(OUT)/nets/%/stamp: $(KILN) $$(word 1,$$(NET_$$*)) tests/fuzz/fuzz.mk
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(KILN) generate $(word 1,$(NET_$*)) --weights $(word 2,$(NET_$*)) --name $* -o $(@D) -q >/dev/null
	@touch $@

$(OUT)/nets/%.o: $(OUT)/nets/%/stamp
	$(FCC) $(filter-out -std=c11 -MMD -MP,$(CFLAGS)) -std=c99 -c -o $@ $(OUT)/nets/$*/$*.c
$(OUT)/nets/%_data.o: $(OUT)/nets/%/stamp
	$(FCC) $(filter-out -std=c11 -MMD -MP,$(CFLAGS)) -std=c99 -c -o $@ $(OUT)/nets/$*/$*_data.c

# Harnesses with extra objects.
$(OUT)/fuzz_blob: $(OUT)/nets/fz_cnn.o $(OUT)/nets/fz_s8.o
$(OUT)/obj/tests/fuzz/fuzz_blob.o: CFLAGS += -I$(OUT)/nets/fz_cnn -I$(OUT)/nets/fz_s8
$(OUT)/obj/tests/fuzz/fuzz_blob.o: $(OUT)/nets/fz_cnn/stamp $(OUT)/nets/fz_s8/stamp

$(OUT)/fuzz_infer: $(OUT)/nets/fz_cnn_in.o $(OUT)/nets/fz_cnn_in_data.o $(OUT)/nets/fz_s8_in.o \
                   $(OUT)/nets/fz_s8_in_data.o
$(OUT)/obj/tests/fuzz/fuzz_infer.o: CFLAGS += -I$(OUT)/nets/fz_cnn_in -I$(OUT)/nets/fz_s8_in
$(OUT)/obj/tests/fuzz/fuzz_infer.o: $(OUT)/nets/fz_cnn_in/stamp $(OUT)/nets/fz_s8_in/stamp

# The validation firmware's own main.c and frames.c, built for the host with
# a UART that reads the fuzz input (fw_host.c); main() is renamed so the
# harness can call it once per input.
FW := firmware/qemu-mps2-an500
FW_CFLAGS = -DKILN_NET=fz_fw -I$(OUT)/nets/fz_fw -I$(FW)
$(OUT)/fuzz_firmware: $(OUT)/nets/fz_fw.o $(OUT)/nets/fz_fw_data.o $(OUT)/obj/fw/main.o \
                      $(OUT)/obj/fw/frames.o $(OUT)/obj/fw/profile.o $(OUT)/obj/tests/fuzz/fw_host.o
$(OUT)/obj/fw/main.o: $(FW)/main.c $(OUT)/nets/fz_fw/stamp
	@mkdir -p $(dir $@)
	$(FCC) $(CFLAGS) $(FW_CFLAGS) -Dmain=kvp_firmware_main -c -o $@ $<
$(OUT)/obj/fw/frames.o: $(FW)/frames.c
	@mkdir -p $(dir $@)
	$(FCC) $(CFLAGS) $(FW_CFLAGS) -c -o $@ $<
# Without -DKILN_PROFILE profile.c holds the firmware's no-op profile calls.
$(OUT)/obj/fw/profile.o: $(FW)/profile.c
	@mkdir -p $(dir $@)
	$(FCC) $(CFLAGS) $(FW_CFLAGS) -c -o $@ $<
$(OUT)/obj/tests/fuzz/fw_host.o: CFLAGS += -I$(FW)
$(OUT)/obj/tests/fuzz/fuzz_firmware.o: CFLAGS += -I$(OUT)/nets/fz_fw
$(OUT)/obj/tests/fuzz/fuzz_firmware.o: $(OUT)/nets/fz_fw/stamp

$(OUT)/fuzz_%: $(OUT)/obj/tests/fuzz/fuzz_%.o $(COMMON_O) $(DRIVER_O) $(LIBKILN)
	$(FCC) $(LINK_SAN) -o $@ $(filter %.o,$^) $(LIBKILN) $(LIBS)

.PHONY: all
.SECONDARY:
-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)
