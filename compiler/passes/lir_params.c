/*
 * lir_params.c - the description of every kernel params struct, made from
 * the runtime headers' field lists (lir_params.h).
 *
 * Relies on include/kiln/fields.h's promise of no padding, and checks it at
 * compile time: the fields' sizes add up to sizeof the struct, so each
 * field's offset is the sum of the sizes before it and the struct's bytes
 * are exactly its fields' values.  A field declared outside its list, or a
 * type that brings padding, fails the build here.
 */
#include "passes/lir_params.h"

#define FMT_(fmt) LIR_FMT_##fmt
#define FIELD_(type, name, fmt) {#name, sizeof(type), 0, FMT_(fmt), NULL},
#define ARRAY_(type, name, n, fmt) {#name, sizeof(type), (n), FMT_(fmt), NULL},
#define STRUCT_(type, name) {#name, sizeof(type), 0, LIR_FMT_STRUCT, &lir_desc_##type},
#define FIELD_SIZE_(type, name, fmt) +sizeof(type)
#define ARRAY_SIZE_(type, name, n, fmt) +sizeof(type) * (n)
#define STRUCT_SIZE_(type, name) +sizeof(type)

#define DESCRIBE_(T, LIST)                                                               \
    static const lir_field fields_##T[] = {LIST(FIELD_, ARRAY_, STRUCT_)};               \
    const lir_struct lir_desc_##T = {#T, sizeof(T), (int)(sizeof fields_##T / sizeof *fields_##T), \
                                     fields_##T};                                        \
    _Static_assert(0 LIST(FIELD_SIZE_, ARRAY_SIZE_, STRUCT_SIZE_) == sizeof(T),          \
                   #T ": its fields do not fill it (padding, or a field outside its list)");
LIR_PARAMS_TYPES(DESCRIBE_)

#define ENTRY_(T, LIST) &lir_desc_##T,
static const lir_struct *const all[] = {LIR_PARAMS_TYPES(ENTRY_)};

const lir_struct *const *lir_params_all(int *n)
{
    *n = (int)(sizeof all / sizeof *all);
    return all;
}
