/*
 * compile.h - the whole compiler as one call: file -> IR -> passes -> kernel
 * calls -> memory plan -> weights blob.  `analyze`, `generate` and `validate`
 * all go through compile_model(), so what one reports is what another emits.
 */
#ifndef KILN_COMPILE_H
#define KILN_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit/blob_write.h"
#include "import/import.h"
#include "ir/ir.h"
#include "passes/lower.h"
#include "passes/plan.h"
#include "target/cpu.h"

/* EXTERNAL: a memory-mapped blob; INLINE: a const array; STREAM: a blob the
 * code reads through a callback, staging each layer (docs/streaming.md). */
typedef enum weights_mode { WEIGHTS_EXTERNAL = 0, WEIGHTS_INLINE = 1, WEIGHTS_STREAM = 2 } weights_mode;

/* --kernels: which int8 conv/depthwise/FC kernels (docs/kernels-int8.md). */
typedef enum kernel_choice {
    KERNELS_FAST = 0,     /* packed; conv/FC weights int16 on DSP cores and the host */
    KERNELS_COMPACT = 1,  /* packed; conv/FC weights stay int8 (1 byte per weight in flash) */
    KERNELS_PLAIN = 2     /* the plain reference kernels */
} kernel_choice;

typedef struct compile_opts {
    const char *name;           /* --name: C identifier prefix, used as given or refused
                                 * (c_name_check); default from the file name */
    weights_mode weights;
    uint64_t address;           /* default memory-mapped blob address */
    bool has_address;
    uint32_t blob_align;        /* default PLAN_ALIGN */
    import_opts imp;
    bool no_fuse;               /* skip BatchNorm folding and clamp fusion */
    kiln_integrity integrity;   /* how init checks the payload; 0: COMPILE_INTEGRITY_DEFAULT */
    const char *cpu;            /* --cpu; NULL: CPU_DEFAULT */
    kernel_choice kernels;
    uint64_t internal_budget;   /* --internal-budget: bytes of hot weights kept inline; 0: none */
    uint64_t stage_bytes;       /* --stage-bytes: the stream staging buffer's cap; 0: the largest layer */
    bool stage_double;          /* --stage-double: two staging buffers, the next read started before a call runs */
} compile_opts;

/* The default --integrity, chosen from the init cost measured on the
 * emulated Cortex-M7 (bench/integrity.sh, docs/security.md). */
#define COMPILE_INTEGRITY_DEFAULT KILN_INTEGRITY_SHA256

typedef struct compile_stats {
    int folded, bn_fused, act_fused;
    int pad_fused, epi_fused;       /* Pads into conv windows; Add/LeakyRelu/Max into epilogues */
} compile_stats;

typedef struct compiled {
    char *name;                 /* the C identifier prefix (c_name_check holds) */
    ir_graph *g;                /* after passes and lowering (lowerings add constants) */
    lir_program prog;
    plan pl;
    /* Constants in the blob, in layout order; blob_of[t] = index or -1. */
    blob_tensor *bt;
    int n_bt;
    int *blob_of;
    size_t *node_weights;       /* per IR node: compiled_node_weight_bytes */
    uint8_t *blob;
    size_t blob_len;
    uint64_t signature;
    kiln_blob_expect expect;    /* what the generated code pins: header fields, CRC, digest */
    compile_stats stats;
    int n_imported;             /* tensors before lowering; later ones are derived constants */
    weights_mode weights;
    uint64_t address;
    bool has_address;
    const cpu_info *cpu;        /* what the code is generated for */
    kernel_choice kernels;
    /* --internal-budget (passes/hot_weights.c): constants kept in NET.c's
     * NET_hot array instead of the blob; hot_of[t] = index in hot or -1. */
    uint64_t internal_budget;
    blob_tensor *hot;           /* .offset: into hot_data */
    int n_hot;
    int *hot_of;
    uint8_t *hot_data;
    size_t hot_len;
    double *reads_per_byte;     /* per blob or hot constant (root tensor), memory-mapped estimate */
    /* Stream mode (passes/stream_plan.c): one staged read per call. */
    struct stream_stage *stage; /* per call; len 0: the call reads no blob bytes */
    struct stream_read *reads;  /* every read of a run, in order (calls' and tiles') */
    int n_reads;
    size_t stage_offset;        /* the staging buffer in the arena */
    size_t stage_bytes;
    size_t stage_cap;           /* --stage-bytes rounded down to PLAN_ALIGN; 0: none */
    bool stage_double;          /* --stage-double: a second buffer after the first, reads alternate */
    size_t tile_out_offset;     /* a tiled conv's output tile, after the staging buffer */
    size_t tile_out_bytes;
    uint64_t stream_bytes_read; /* per inference, the sum of the reads */
} compiled;

/* Imports and compiles a model; on failure returns false with a message that
 * names the file and, where it applies, the node. */
bool compile_model(const char *path, const compile_opts *o, compiled *out, char *err, size_t errlen);
/* The same from an already-imported graph (compile_graph takes ownership). */
bool compile_graph(ir_graph *g, const compile_opts *o, compiled *out, char *err, size_t errlen);
void compiled_free(compiled *c);

/* "crc32" / "sha256", and back (false for an unknown name). */
const char *integrity_name(kiln_integrity m);
bool integrity_parse(const char *s, kiln_integrity *m);

/* Bytes of blob constants referenced by the calls lowered from IR node n. */
size_t compiled_node_weight_bytes(const compiled *c, int node);

/* "external", "inline" or "stream". */
const char *weights_mode_name(weights_mode w);

/* "fast", "compact" or "plain". */
const char *kernel_choice_name(kernel_choice k);

/* The longest prefix --name takes (and a derived name is cut to): NET_OUTPUTk_BYTES
 * stays within the 63 significant characters C99 guarantees for macro names. */
#define C_NAME_MAX 40
#define C_NAME_MAX_STR "40"

/* A usable prefix from any string ("kws-ref.model" -> "kws_ref_model",
 * "1x" -> "n1x", "kiln" -> "n_kiln"): letters, digits and '_', starting with
 * a letter, at most C_NAME_MAX characters, no keyword, not kiln_*. */
char *c_identifier(const char *s);
/* Whether s may be used as given for --name; if not, a message saying why. */
bool c_name_check(const char *s, char *err, size_t errlen);

#endif
