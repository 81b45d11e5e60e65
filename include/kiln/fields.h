/*
 * fields.h - how a kernel params struct is declared from its field list.
 *
 * Every params struct in kernels_*.h (and every struct nested in one) is
 * written once, as an X-macro list beside it:
 *
 *     #define KILN_FOO_PARAMS_FIELDS(F, A, S)  \
 *         F(int32_t, n, INT)                   \  a scalar and how to print it
 *         A(int32_t, shape, KILN_MAX_DIMS, INT) \  an array of N of them
 *         S(kiln_requant, rq)                     a nested struct (its own list)
 *
 * and the struct is KILN_FIELDS(that list).  The same list is what the
 * compiler prints a layer's params from (compiler/passes/lir_params.c), so
 * the generated code cannot name fewer fields, other fields, or the fields
 * in another order than the struct the kernel was built with.
 *
 * The last argument of F and A says how the compiler prints the value; the
 * runtime ignores it: INT (decimal), F32 (a float literal that reads back to
 * the same float, HUGE_VALF for infinities), F32_BITS (a hexadecimal float
 * literal), LAYOUT (KILN_LAYOUT_*), QTYPE (KILN_QT_*), RQ_MODE (KILN_RQ_*),
 * CONV_F32_METHOD (KILN_CONV_F32_*).  Fields are int32_t, float or such
 * structs only: every one is 4-byte aligned, so a struct has no padding
 * (the compiler asserts it) and its bytes are its values.
 */
#ifndef KILN_FIELDS_H
#define KILN_FIELDS_H

#define KILN_FIELD_(type, name, fmt) type name;
#define KILN_ARRAY_(type, name, n, fmt) type name[n];
#define KILN_STRUCT_(type, name) type name;
#define KILN_FIELDS(LIST) LIST(KILN_FIELD_, KILN_ARRAY_, KILN_STRUCT_)

#endif
