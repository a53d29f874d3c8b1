/*
 * cpu_avx512.c - the reduction loops built for AVX-512 (F, BW, VL, DQ).
 *
 * CMake compiles files ending in _avx512.c with -mavx512f -mavx512bw
 * -mavx512vl -mavx512dq -mavx2 -mfma -mf16c.  The compiler may still choose
 * 256-bit vectors for plain loops (its tuning prefers them on many CPUs,
 * to avoid frequency drops) but gains masked tails, 64-bit integer
 * min/max and multiply, and float16 converts sixteen at a time.  isa.c runs
 * this table only on a CPU that reports all four AVX-512 subsets and the
 * AVX2 table's features.
 */
#if defined(__x86_64__) || defined(__i386__)
#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VL__) ||                   \
    !defined(__AVX512DQ__) || !defined(__F16C__)
#error "cpu_avx512.c must be compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mf16c"
#endif
#define WEFT_REDUCE_KERNELS_NAME weft__reduce_kernels_avx512
#define WEFT_REDUCE_ISA_NAME "avx512"
#include "reduce/kernels_body.h"
#endif
