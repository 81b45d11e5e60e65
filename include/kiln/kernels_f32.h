/* kernels_f32.h - placeholder until this kernel family lands. */
#ifndef KILN_KERNELS_F32_H
#define KILN_KERNELS_F32_H
#include <stddef.h>
#include <stdint.h>
#endif
