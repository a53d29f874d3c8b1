/*
 * cpu_avx.c - the reduction loops built for AVX and F16C.
 *
 * CMake compiles files ending in _avx.c with -mavx -mf16c, so the shared
 * loops of kernels_body.h vectorise 256 bits wide for floats (AVX1 has no
 * 256-bit integer arithmetic, so integer loops stay 128 bits wide, in the
 * VEX encoding), and float16 converts eight at a time with F16C.  isa.c
 * runs this table only on a CPU that reports both AVX and F16C.
 */
#if defined(__x86_64__) || defined(__i386__)
#if !defined(__AVX__) || !defined(__F16C__)
#error "cpu_avx.c must be compiled with -mavx -mf16c (CMake adds them by file name)"
#endif
#define WEFT_REDUCE_KERNELS_NAME weft__reduce_kernels_avx
#define WEFT_REDUCE_ISA_NAME "avx"
#include "reduce/kernels_body.h"
#endif
