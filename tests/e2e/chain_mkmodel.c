/*
 * chain_mkmodel.c - writes the N-node chained ONNX model of
 * tests/unit/chain_model.h (Add of a constant, Relu, Add, ...), for
 * bench/compile_scale.sh.
 *
 *   chain_mkmodel N FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit/chain_model.h"

int main(int argc, char **argv)
{
    if (argc != 3 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: chain_mkmodel N FILE\n");
        return 2;
    }
    return chain_write(atoi(argv[1]), argv[2]) ? 0 : 1;
}
