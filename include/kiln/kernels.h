/*
 * kernels.h - every runtime kernel, by family.  Generated code includes this.
 *
 * Naming follows CMSIS-NN: kiln_<op>_<type>[_<variant>] (kiln_conv_f32,
 * kiln_conv_s8, kiln_depthwise_conv_s8_opt).  Kernels take one const params
 * struct for what is fixed per layer and plain pointers for data; they never
 * allocate, print, or keep state between calls.
 */
#ifndef KILN_KERNELS_H
#define KILN_KERNELS_H

#include "kiln/kernels_data.h"
#include "kiln/kernels_ext.h"
#include "kiln/kernels_ext_s8.h"
#include "kiln/kernels_f32.h"
#include "kiln/kernels_s8.h"
#include "kiln/kernels_s16.h"

/* Copies n bytes; the planner uses it when a graph output must own its bytes. */
void kiln_copy_bytes(const void *src, void *dst, uint32_t nbytes);

#endif
