/*
 * protocol.h - the validation protocol between `kiln validate` and firmware
 * running a generated network on a target (QEMU's mps2-an500 today, a real
 * board's UART tomorrow): frame layout, frame types, payload field offsets and
 * the exit codes the firmware reports.  docs/validation-protocol.md tells the
 * story; this header is the one place the numbers live, shared by the firmware
 * (C99, freestanding) and the host (compiler/target/vproto.c).
 *
 * Every multi-byte field is little-endian and read/written byte by byte, so
 * neither side depends on alignment or host byte order.  This header defines
 * no functions that touch hardware and needs nothing but <stdint.h>.
 *
 *   frame = 'K' 'V' | type u8 | seq u8 | len u32 | payload[len] | crc u32
 *   crc   = kiln_crc32 over type, seq, len and payload (bytes 2 .. 8+len-1)
 *
 * A receiver hunts for the two sync bytes, reads the 6 header bytes, checks
 * `len` against what that frame type may carry *before* reading the payload
 * (so a garbled length never makes it wait for, or write, megabytes), then
 * checks the CRC before it acts on a single payload byte.
 */
#ifndef KILN_PROTOCOL_H
#define KILN_PROTOCOL_H

#include <stdint.h>

#define KVP_VERSION 1u

#define KVP_SYNC0 0x4Bu            /* 'K' */
#define KVP_SYNC1 0x56u            /* 'V' */
#define KVP_HEADER_BYTES 8u        /* sync0 sync1 type seq len(4) */
#define KVP_CRC_BYTES 4u
#define KVP_OFF_TYPE 2u
#define KVP_OFF_SEQ 3u
#define KVP_OFF_LEN 4u
/* Largest payload either side accepts in any frame (64 MiB): bigger than any
 * model that fits the board, small enough that a garbled length is caught. */
#define KVP_MAX_PAYLOAD 0x04000000u

/* Frame types.  Host -> target have the top bit clear, target -> host set. */
#define KVP_T_INPUT 0x01u          /* payload: every input, concatenated in model order */
#define KVP_T_QUIT 0x02u           /* payload: none; the target answers BYE and exits 0 */
#define KVP_T_HELLO 0x81u          /* once, after init: who I am and how init went */
#define KVP_T_OUTPUT 0x82u         /* answer to INPUT (same seq): ticks + every output */
#define KVP_T_ERROR 0x83u          /* a frame was refused, or the run failed: nothing computed */
#define KVP_T_FAULT 0x84u          /* a fault handler ran; the target exits right after */
#define KVP_T_BYE 0x85u            /* answer to QUIT */
#define KVP_T_PROFILE 0x86u        /* right after an OUTPUT (same seq), only from a profiling build */

/* HELLO payload: a fixed part, then three NUL-terminated strings:
 * model name, kiln_status name, kiln_status message. */
#define KVP_HELLO_OFF_VERSION 0u       /* u32 KVP_VERSION */
#define KVP_HELLO_OFF_STATUS 4u        /* u32 kiln_status of kiln_net_init (0 = ready) */
#define KVP_HELLO_OFF_SIGNATURE 8u     /* u64 the model's signature (what the blob must carry) */
#define KVP_HELLO_OFF_IN_BYTES 16u     /* u32 bytes of one INPUT payload */
#define KVP_HELLO_OFF_OUT_BYTES 20u    /* u32 bytes of outputs in one OUTPUT payload */
#define KVP_HELLO_OFF_N_INPUTS 24u     /* u32 */
#define KVP_HELLO_OFF_N_OUTPUTS 28u    /* u32 */
#define KVP_HELLO_OFF_ARENA 32u        /* u32 arena bytes the model needs */
#define KVP_HELLO_OFF_BLOB_ADDR 36u    /* u32 where init looked for the blob (0: compiled in) */
#define KVP_HELLO_OFF_CAPACITY 40u     /* u32 bytes readable there */
#define KVP_HELLO_OFF_TICK_HZ 44u      /* u32 clock of the tick counter in OUTPUT */
#define KVP_HELLO_OFF_FLAGS 48u        /* u32 KVP_HELLO_F_* */
/* What kiln_blob_check found (kiln_blob_report), for "found X, expected Y". */
#define KVP_HELLO_OFF_R_VERSION 52u    /* u32 */
#define KVP_HELLO_OFF_R_HEADER_SIZE 56u /* u32 */
#define KVP_HELLO_OFF_R_FLAGS 60u      /* u32 */
#define KVP_HELLO_OFF_R_ALIGN 64u      /* u32 */
#define KVP_HELLO_OFF_R_PAYLOAD 68u    /* u32 payload_size */
#define KVP_HELLO_OFF_R_TENSORS 72u    /* u32 tensor_count */
#define KVP_HELLO_OFF_R_SIGNATURE 76u  /* u64 the blob's signature */
#define KVP_HELLO_OFF_R_TOTAL 84u      /* u32 total_size the header claims */
#define KVP_HELLO_OFF_R_CRC_EXP 88u    /* u32 stored CRC of the failing check */
#define KVP_HELLO_OFF_R_CRC_FOUND 92u  /* u32 computed CRC of the failing check */
#define KVP_HELLO_FIXED 96u            /* strings start here */
#define KVP_HELLO_MAX 512u             /* whole payload, strings included */

#define KVP_HELLO_F_INLINE 0x1u        /* the blob init checked is compiled in */
#define KVP_HELLO_F_NO_CRC 0x2u        /* init skipped the payload CRC */
#define KVP_HELLO_F_CALLER_BUFS 0x4u   /* even inferences use caller buffers, odd ones the arena */
#define KVP_HELLO_F_PROFILE 0x8u       /* built with KILN_PROFILE: a PROFILE frame follows each OUTPUT */

/* OUTPUT payload: ticks, then every output concatenated in model order. */
#define KVP_OUTPUT_OFF_TICKS 0u        /* u64 tick-counter ticks the kiln_net_run call took */
#define KVP_OUTPUT_FIXED 8u

/* PROFILE payload: the tick counter at each of the generated code's profile
 * marks (mark i before kernel call i, mark n_calls after the last), counted
 * from the same start as OUTPUT's ticks.  Call i took mark[i+1] - mark[i]. */
#define KVP_PROFILE_OFF_MARKS 0u       /* u32 number of marks (kernel calls + 1) */
#define KVP_PROFILE_OFF_TICKS 4u       /* u64 ticks at each mark; all ones: never reached */
#define KVP_PROFILE_FIXED 4u

/* ERROR payload: code, two numbers (meaning per code), a NUL-terminated text. */
#define KVP_ERROR_OFF_CODE 0u          /* u32 KVP_E_* */
#define KVP_ERROR_OFF_A 4u             /* u32 */
#define KVP_ERROR_OFF_B 8u             /* u32 */
#define KVP_ERROR_FIXED 12u
#define KVP_ERROR_MAX 256u

#define KVP_E_CRC 1u        /* frame CRC wrong: a = computed, b = received */
#define KVP_E_LENGTH 2u     /* payload length refused: a = received, b = expected */
#define KVP_E_TYPE 3u       /* unknown or unexpected frame type: a = type */
#define KVP_E_RUN 4u        /* kiln_net_run failed: a = kiln_status */
#define KVP_E_OVERRUN 5u    /* the UART lost received bytes: a = bytes of the frame read so far */
#define KVP_E_STACK 6u      /* the inference overflowed the stack: a = stack bytes; the target exits */

/* FAULT payload: the exception frame and fault status registers, u32 each. */
#define KVP_FAULT_OFF_R0 0u
#define KVP_FAULT_OFF_R1 4u
#define KVP_FAULT_OFF_R2 8u
#define KVP_FAULT_OFF_R3 12u
#define KVP_FAULT_OFF_R12 16u
#define KVP_FAULT_OFF_LR 20u
#define KVP_FAULT_OFF_PC 24u
#define KVP_FAULT_OFF_XPSR 28u
#define KVP_FAULT_OFF_CFSR 32u         /* configurable fault status (MMFSR|BFSR|UFSR) */
#define KVP_FAULT_OFF_HFSR 36u
#define KVP_FAULT_OFF_MMFAR 40u
#define KVP_FAULT_OFF_BFAR 44u
#define KVP_FAULT_OFF_EXC 48u          /* exception number (3 = HardFault) */
#define KVP_FAULT_BYTES 52u

/* BYE payload. */
#define KVP_BYE_OFF_RUNS 0u            /* u32 inferences run */
#define KVP_BYE_BYTES 4u

/* Exit status of the firmware (semihosting on QEMU; a board may blink it). */
#define KVP_EXIT_OK 0                  /* QUIT received */
#define KVP_EXIT_REFUSED 3             /* kiln_net_init refused: HELLO says why */
#define KVP_EXIT_FAULT 4               /* a fault or unexpected interrupt: FAULT says where;
                                          also after KVP_E_STACK (memory no longer trusted) */

/* Little-endian writers/readers, alignment-free. */
static inline void kvp_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void kvp_put_u64(uint8_t *p, uint64_t v)
{
    kvp_put_u32(p, (uint32_t)v);
    kvp_put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t kvp_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t kvp_get_u64(const uint8_t *p)
{
    return (uint64_t)kvp_get_u32(p) | ((uint64_t)kvp_get_u32(p + 4) << 32);
}

#endif
