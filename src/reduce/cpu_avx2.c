/*
 * cpu_avx2.c - the reduction loops built for AVX2, FMA and F16C.
 *
 * CMake compiles files ending in _avx2.c with -mavx2 -mfma -mf16c: over the
 * AVX table this adds 256-bit integer arithmetic and min/max.  (No loop
 * can contract into an FMA: each does a single add, multiply or compare per
 * element, so the results stay bit-identical to the other tables.)  isa.c
 * runs this table only on a CPU that reports AVX2, FMA and F16C.
 */
#if defined(__x86_64__) || defined(__i386__)
#if !defined(__AVX2__) || !defined(__F16C__)
#error "cpu_avx2.c must be compiled with -mavx2 -mfma -mf16c (CMake adds them by file name)"
#endif
#define WEFT_REDUCE_KERNELS_NAME weft__reduce_kernels_avx2
#define WEFT_REDUCE_ISA_NAME "avx2"
#include "reduce/kernels_body.h"
#endif
