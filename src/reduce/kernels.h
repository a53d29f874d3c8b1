/*
 * kernels.h - the per-instruction-set tables of reduction loops.
 *
 * The loops are written once, in portable C (kernels_body.h), and compiled
 * once per instruction set: cpu_generic.c for the baseline, cpu_avx.c,
 * cpu_avx2.c and cpu_avx512.c with the matching -m flags (CMake adds them by
 * file name).  Each file exports one table; isa.c picks the table for this
 * CPU at first use.  What the table holds is deliberately small - plain
 * elementwise loops and float16/bfloat16 conversions - and everything else
 * (aliasing, float16 widening, multi-input passes, division) lives once in
 * reduce.c and divide.c, in baseline code that calls through the table.
 *
 * The restrict promises of the loops are the caller's to keep: `three`
 * writes dst, which must overlap neither a nor b (a may equal b: both are
 * only read); `acc` updates acc in place, which must not overlap b.
 */
#ifndef WEFT_REDUCE_KERNELS_H
#define WEFT_REDUCE_KERNELS_H

#include "reduce/reduce.h"

#include <stddef.h>

/* dst[i] = a[i] op b[i]; dst overlaps neither a nor b. */
typedef void (*weft__loop_three_fn)(void *restrict dst, const void *restrict a,
                                    const void *restrict b, size_t count);
/* acc[i] = acc[i] op b[i]; acc does not overlap b. */
typedef void (*weft__loop_acc_fn)(void *restrict acc, const void *restrict b, size_t count);
/* dst[i] = convert(src[i]) between 16-bit floats and float32. */
typedef void (*weft__convert_fn)(void *restrict dst, const void *restrict src, size_t count);

typedef struct {
    weft__loop_three_fn three;
    weft__loop_acc_fn acc;
} weft__reduce_loops_t;

typedef struct {
    const char *name; /* "generic", "avx", "avx2", "avx512" */
    /* By datatype and op.  AVG holds the SUM loops.  The float16 and
     * bfloat16 rows hold the float32 loops: reduce.c widens around them. */
    weft__reduce_loops_t loops[WEFT_NUM_DATATYPES][WEFT_NUM_OPS];
    weft__convert_fn f16_to_f32;
    weft__convert_fn f32_to_f16;
    weft__convert_fn bf16_to_f32;
    weft__convert_fn f32_to_bf16;
} weft__reduce_kernels_t;

extern const weft__reduce_kernels_t weft__reduce_kernels_generic;
#if defined(__x86_64__) || defined(__i386__)
#define WEFT_REDUCE_HAVE_X86 1
extern const weft__reduce_kernels_t weft__reduce_kernels_avx;
extern const weft__reduce_kernels_t weft__reduce_kernels_avx2;
extern const weft__reduce_kernels_t weft__reduce_kernels_avx512;
#endif

/* The table in use: chosen on first call (isa.c), or forced. */
const weft__reduce_kernels_t *weft__reduce_kernels(void);

/* Elements of float16/bfloat16 converted at a time through float32 buffers
 * on the stack (2 KiB each): small enough to stay in L1. */
#define WEFT_REDUCE_HALF_CHUNK 512

#endif
