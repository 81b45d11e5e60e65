/* kernels_s8.h - placeholder until this kernel family lands. */
#ifndef KILN_KERNELS_S8_H
#define KILN_KERNELS_S8_H
#include <stddef.h>
#include <stdint.h>
#endif
