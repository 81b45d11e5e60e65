/*
 * packed_cases.h - random cases that hold the packed int8 kernels to the
 * plain ones, byte for byte: convolutions (any kernel, stride, dilation,
 * padding, channel counts that leave partial groups and partial slices),
 * FULLY_CONNECTED (batch 1 and more), 3x3 depthwise (stride 1 and 2; the
 * plane and the NHWC 4-channel kernels), the
 * table-driven ADD/SUB, the 4-channel average pool, and
 * the short requantization against MultiplyByQuantizedMultiplier at the
 * edges of its range and on both roundings' ties.
 *
 * The plain kernels (kiln_conv_s8 & co.) are the reference: they are the
 * ones held to TFLite-Micro's outputs.  Weights, offsets, multipliers,
 * shifts, zero points and clamps are random, so every requantization mode
 * the compiler can pick (pack_rq_mode) is exercised, including the exact
 * fallback.  Packing goes through compiler/passes/pack_s8.c, the code the
 * lowering uses.
 *
 * Plain C99 with static buffers and no I/O: the same file runs in the host
 * unit test (tests/unit/test_packed_s8.c) and in the Cortex-M test firmware
 * (tests/kernels/fw_main.c, tests/e2e/packed_kernels_qemu.sh), i.e. on the
 * DSP and the portable paths.
 */
#ifndef KILN_PACKED_CASES_H
#define KILN_PACKED_CASES_H

#include <stdint.h>

typedef struct pc_result {
    uint32_t cases;       /* cases run */
    uint32_t values;      /* output values compared */
    uint32_t failures;    /* cases with at least one differing value */
    uint32_t modes[5];    /* cases per kiln_rq_mode picked */
    /* The first failure: which case (by seed and index) and where. */
    uint32_t fail_seed, fail_index, fail_at;
    int32_t fail_got, fail_want;
} pc_result;

/* Each runs n cases from seed and adds to *r.  w16: int16 weights (_p16);
 * for pc_fc and pc_edges' FC, PC_FC_HOST: kiln_fully_connected_s8_host on
 * its own stream (KILN_BLOB_LAYOUT_FC8_HOST). */
#define PC_FC_HOST 2
void pc_requant(uint32_t seed, uint32_t n, pc_result *r);
void pc_conv(uint32_t seed, uint32_t n, int w16, pc_result *r);
void pc_fc(uint32_t seed, uint32_t n, int w16, pc_result *r);
/* Pointwise convs (1x1, stride 1, no padding) on kiln_conv_s8_p8/_p16. */
void pc_conv_1x1(uint32_t seed, uint32_t n, int w16, pc_result *r);
/* kiln_conv_s8_rgb_p16 (3x3 on 3 channels, K = 27 dense). */
void pc_conv_rgb(uint32_t seed, uint32_t n, pc_result *r);
/* kiln_conv_s8_1x1c8 (1x1 over 8 channels, bias folded into rnd). */
void pc_conv_c8(uint32_t seed, uint32_t n, pc_result *r);
/* Conv (conv = 1) or batch-1 FC whose every accumulator is drawn next to a
 * tie of the short requantization or at an int32 extreme, per channel
 * multipliers and shifts at the short form's range edges. */
void pc_edges(uint32_t seed, uint32_t n, int conv, int w16, pc_result *r);
void pc_dw3x3(uint32_t seed, uint32_t n, pc_result *r);
/* The NHWC 3x3 depthwise kernel (kiln_depthwise_conv_s8_3x3c4), 4k channels. */
void pc_dw3x3c4(uint32_t seed, uint32_t n, pc_result *r);
/* Its stride-2 form (kiln_depthwise_conv_s8_3x3c4s2). */
void pc_dw3x3c4s2(uint32_t seed, uint32_t n, pc_result *r);
/* kiln_depthwise_conv_s8_packed: any k_h x k_w (1..16 each), stride,
 * dilation, padding, channel count (not only multiples of 4). */
void pc_dw_any(uint32_t seed, uint32_t n, pc_result *r);
/* kiln_add_s8_lut (ADD and SUB) against kiln_add_s8 / kiln_sub_s8. */
void pc_add(uint32_t seed, uint32_t n, pc_result *r);
/* kiln_avgpool_s8 on NHWC with 4k channels (its 4-channel path) against a
 * plain average written here. */
void pc_avgpool(uint32_t seed, uint32_t n, pc_result *r);
/* The plain kiln_transpose_conv_s8 (a gather) against TFLite's scatter
 * written here (it shares the conv window walk with the plain kernels). */
void pc_transpose(uint32_t seed, uint32_t n, pc_result *r);

#endif
