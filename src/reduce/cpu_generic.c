/*
 * cpu_generic.c - the reduction loops built for the baseline instruction set.
 *
 * This is the table every CPU can run: SSE2 on x86-64, whatever the target
 * guarantees elsewhere.  The loops themselves are in kernels_body.h, shared
 * with the files built for wider instruction sets; float16 is converted by
 * the scalar code of half.h here.
 */
#define WEFT_REDUCE_KERNELS_NAME weft__reduce_kernels_generic
#define WEFT_REDUCE_ISA_NAME "generic"
#include "reduce/kernels_body.h"
