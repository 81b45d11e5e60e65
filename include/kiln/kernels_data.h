/* kernels_data.h - placeholder until this kernel family lands. */
#ifndef KILN_KERNELS_DATA_H
#define KILN_KERNELS_DATA_H
#include <stddef.h>
#include <stdint.h>
#endif
