/*
 * lir_params.h - a kernel call's params as a value of the runtime's own
 * struct, with the description the C emitter prints it from.
 *
 * Every params struct is declared in include/kiln/kernels_*.h from an
 * X-macro field list (include/kiln/fields.h); LIR_PARAMS_TYPES below names
 * each struct with its list, and from those lists alone this file and
 * lir_params.c make one lir_struct per type: its fields in declaration order,
 * each with its size, count and print format.  A lowering fills a real
 * struct (the C compiler checks every field name and type) and hands it to
 * LIR_CALL(); the emitter walks the description over the bytes.  No text in
 * between, and no list of fields anywhere but the header's.
 *
 * Relies on the headers' promise that fields are int32_t, float or nested
 * such structs (no padding: lir_params.c asserts sum of sizes == sizeof).
 */
#ifndef KILN_LIR_PARAMS_H
#define KILN_LIR_PARAMS_H

#include <stddef.h>

#include "kiln/kernels.h"

/* How a field's value is printed (the F/A format tokens of fields.h). */
typedef enum lir_fmt {
    LIR_FMT_INT,              /* int32_t, decimal */
    LIR_FMT_F32,              /* float, lir_f32() */
    LIR_FMT_F32_BITS,         /* float, hexadecimal float literal */
    LIR_FMT_LAYOUT,           /* int32_t, KILN_LAYOUT_* */
    LIR_FMT_QTYPE,            /* int32_t, KILN_QT_* */
    LIR_FMT_RQ_MODE,          /* int32_t, KILN_RQ_* */
    LIR_FMT_CONV_F32_METHOD,  /* int32_t, KILN_CONV_F32_* */
    LIR_FMT_STRUCT            /* a nested struct: see sub */
} lir_fmt;

struct lir_struct;

typedef struct lir_field {
    const char *name;
    size_t size;                    /* of one element */
    int count;                      /* 0: a scalar; N: an array of N */
    lir_fmt fmt;
    const struct lir_struct *sub;   /* LIR_FMT_STRUCT */
} lir_field;

typedef struct lir_struct {
    const char *name;               /* the C type name, e.g. "kiln_conv_s8_params" */
    size_t size;                    /* sizeof the type */
    int n_fields;
    const lir_field *fields;
} lir_struct;

/* Every params struct and every struct nested in one, nested ones first:
 * P(type, its field list). */
#define LIR_PARAMS_TYPES(P)                                                  \
    P(kiln_requant, KILN_REQUANT_FIELDS)                                     \
    P(kiln_chan_s8, KILN_CHAN_S8_FIELDS)                                     \
    P(kiln_conv_s8_params, KILN_CONV_S8_PARAMS_FIELDS)                       \
    P(kiln_fc_s8_params, KILN_FC_S8_PARAMS_FIELDS)                           \
    P(kiln_matmul_s8_params, KILN_MATMUL_S8_PARAMS_FIELDS)                   \
    P(kiln_pool_s8_params, KILN_POOL_S8_PARAMS_FIELDS)                       \
    P(kiln_binary_s8_params, KILN_BINARY_S8_PARAMS_FIELDS)                   \
    P(kiln_add_s8_lut_params, KILN_ADD_S8_LUT_PARAMS_FIELDS)                 \
    P(kiln_requantize_params, KILN_REQUANTIZE_PARAMS_FIELDS)                 \
    P(kiln_sigmoid_s8_params, KILN_SIGMOID_S8_PARAMS_FIELDS)                 \
    P(kiln_hard_swish_s8_params, KILN_HARD_SWISH_S8_PARAMS_FIELDS)           \
    P(kiln_leaky_relu_s8_params, KILN_LEAKY_RELU_S8_PARAMS_FIELDS)           \
    P(kiln_softmax_s8_params, KILN_SOFTMAX_S8_PARAMS_FIELDS)                 \
    P(kiln_mean_s8_params, KILN_MEAN_S8_PARAMS_FIELDS)                       \
    P(kiln_concat_s8_params, KILN_CONCAT_S8_PARAMS_FIELDS)                   \
    P(kiln_svdf_s8_params, KILN_SVDF_S8_PARAMS_FIELDS)                       \
    P(kiln_quantize_params, KILN_QUANTIZE_PARAMS_FIELDS)                     \
    P(kiln_pool_q8_params, KILN_POOL_Q8_PARAMS_FIELDS)                       \
    P(kiln_add_q8_params, KILN_ADD_Q8_PARAMS_FIELDS)                         \
    P(kiln_conv_f32_params, KILN_CONV_F32_PARAMS_FIELDS)                     \
    P(kiln_f32_epilogue, KILN_F32_EPILOGUE_FIELDS)                           \
    P(kiln_conv_f32_packed_params, KILN_CONV_F32_PACKED_PARAMS_FIELDS)       \
    P(kiln_fc_f32_packed_params, KILN_FC_F32_PACKED_PARAMS_FIELDS)           \
    P(kiln_fc_f32_params, KILN_FC_F32_PARAMS_FIELDS)                         \
    P(kiln_matmul_f32_params, KILN_MATMUL_F32_PARAMS_FIELDS)                 \
    P(kiln_binary_f32_params, KILN_BINARY_F32_PARAMS_FIELDS)                 \
    P(kiln_unary_f32_params, KILN_UNARY_F32_PARAMS_FIELDS)                   \
    P(kiln_softmax_f32_params, KILN_SOFTMAX_F32_PARAMS_FIELDS)               \
    P(kiln_channel_affine_f32_params, KILN_CHANNEL_AFFINE_F32_PARAMS_FIELDS) \
    P(kiln_pool_f32_params, KILN_POOL_F32_PARAMS_FIELDS)                     \
    P(kiln_reduce_f32_params, KILN_REDUCE_F32_PARAMS_FIELDS)                 \
    P(kiln_resize_f32_params, KILN_RESIZE_F32_PARAMS_FIELDS)                 \
    P(kiln_rnn_f32_params, KILN_RNN_F32_PARAMS_FIELDS)                       \
    P(kiln_svdf_f32_params, KILN_SVDF_F32_PARAMS_FIELDS)                     \
    P(kiln_copy_params, KILN_COPY_PARAMS_FIELDS)                             \
    P(kiln_gather_params, KILN_GATHER_PARAMS_FIELDS)                         \
    P(kiln_concat_params, KILN_CONCAT_PARAMS_FIELDS)                         \
    P(kiln_cast_params, KILN_CAST_PARAMS_FIELDS)                             \
    P(kiln_binary_int_params, KILN_BINARY_INT_PARAMS_FIELDS)                 \
    P(kiln_maxpool_int_params, KILN_MAXPOOL_INT_PARAMS_FIELDS)               \
    P(kiln_unary_ext_params, KILN_UNARY_EXT_PARAMS_FIELDS)                   \
    P(kiln_bcast_params, KILN_BCAST_PARAMS_FIELDS)                           \
    P(kiln_reduce_ext_params, KILN_REDUCE_EXT_PARAMS_FIELDS)                 \
    P(kiln_arg_params, KILN_ARG_PARAMS_FIELDS)                               \
    P(kiln_gather_ext_params, KILN_GATHER_EXT_PARAMS_FIELDS)                 \
    P(kiln_topk_params, KILN_TOPK_PARAMS_FIELDS)                             \
    P(kiln_cumsum_params, KILN_CUMSUM_PARAMS_FIELDS)                         \
    P(kiln_gather_elements_params, KILN_GATHER_ELEMENTS_PARAMS_FIELDS)        \
    P(kiln_gather_nd_params, KILN_GATHER_ND_PARAMS_FIELDS)                   \
    P(kiln_cmp_s8_params, KILN_CMP_S8_PARAMS_FIELDS)                         \
    P(kiln_sqdiff_s8_params, KILN_SQDIFF_S8_PARAMS_FIELDS)                   \
    P(kiln_abs_s8_params, KILN_ABS_S8_PARAMS_FIELDS)                         \
    P(kiln_lut_s8_params, KILN_LUT_S8_PARAMS_FIELDS)                         \
    P(kiln_cumsum_s8_params, KILN_CUMSUM_S8_PARAMS_FIELDS)                   \
    P(kiln_prelu_s8_params, KILN_PRELU_S8_PARAMS_FIELDS)

/* lir_desc_T, the description of T, and lir_is_T(), which only lets a
 * const T * through (LIR_CALL's type check). */
#define LIR_DECLARE_(T, LIST)                                                \
    extern const lir_struct lir_desc_##T;                                    \
    static inline const void *lir_is_##T(const T *v) { return v; }
LIR_PARAMS_TYPES(LIR_DECLARE_)
#undef LIR_DECLARE_

/* Every description, for tests and lookups: n in *n. */
const lir_struct *const *lir_params_all(int *n);

#endif
