/*
 * reduce.h - datatypes and the CPU reduction kernels.
 *
 * Semantics, identical for every instruction set the kernels are built for:
 *  - integers: SUM and PROD wrap modulo 2^bits (computed unsigned, so signed
 *    overflow is defined); MIN and MAX compare as the signed or unsigned type;
 *  - float32/float64: IEEE arithmetic in the type; MIN/MAX return a if
 *    a < b (resp. a > b) else b - so a NaN in b is returned and a NaN in a
 *    is not, and min(-0, +0) is +0; which NaN payload a SUM or PROD of two
 *    NaNs returns is not specified;
 *  - float16/bfloat16: each operand is widened to float32, combined in
 *    float32, and the result rounded to nearest even (NaN stays NaN);
 *  - AVG reduces as SUM; weft__divide() applies the division once, at the end.
 * dst may be the same pointer as a or b; partial overlap is not allowed.
 */
#ifndef WEFT_REDUCE_REDUCE_H
#define WEFT_REDUCE_REDUCE_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

size_t weft__dtype_size(weft_datatype_t dt);
const char *weft__dtype_name(weft_datatype_t dt); /* "float32", ... */
const char *weft__op_name(weft_op_t op);          /* "sum", ... */
int weft__dtype_valid(int dt);                    /* 1 if dt names a weft_datatype_t */
int weft__op_valid(int op);

/* dst[i] = a[i] op b[i] for i < count. */
void weft__reduce(void *dst, const void *a, const void *b, size_t count, weft_datatype_t dt,
                  weft_op_t op);

/* dst[i] = srcs[0][i] op srcs[1][i] op ... op srcs[nsrcs-1][i], combined left
 * to right in one pass (nsrcs >= 1); dst may equal srcs[0] (or any other
 * input exactly).  float16/bfloat16 accumulate in float32 across all inputs
 * and round once at the end, so the result can differ from a chain of
 * weft__reduce() calls (it is the more accurate one).  One input is a copy. */
void weft__reduce_multi(void *dst, const void *const *srcs, int nsrcs, size_t count,
                        weft_datatype_t dt, weft_op_t op);

/* dst[i] /= divisor: the end of AVG.  Integers divide like C (truncating);
 * float32/float64 divide in the type (not by a reciprocal); float16/bfloat16
 * divide in float32 and round to nearest even.  divisor 0 is a bug: logged,
 * dst untouched. */
void weft__divide(void *dst, size_t count, weft_datatype_t dt, uint32_t divisor);

/* The instruction set the kernels dispatched to: "generic", "avx", ... */
const char *weft__reduce_isa(void);

/* Forces the kernels of one instruction set ("generic", "avx", "avx2",
 * "avx512", or "auto" for the best available); returns -1 (and changes
 * nothing) if this CPU or build lacks it.  For tests and benchmarks; a
 * reduction running meanwhile finishes with the table it started with. */
int weft__reduce_force_isa(const char *isa);

#endif
