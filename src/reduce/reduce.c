/*
 * reduce.c - weft__reduce() and weft__reduce_multi(): aliasing, chunking
 * and float16/bfloat16 widening around the per-ISA loops of kernels.h.
 *
 * The loops promise the compiler that their output overlaps no input
 * (restrict), which is what lets it vectorise without run-time overlap
 * checks - and clang's checks would send dst == a to the scalar loop.
 * So this file keeps the promise by choosing a loop per call:
 *  - dst apart from a and b: three(dst, a, b);
 *  - dst == a, b elsewhere (the usual "accumulate into my buffer"):
 *    acc(dst, b);
 *  - dst == b, or all three the same: three() into a stack buffer, 8 KiB
 *    at a time, then copy.  acc(dst, a) would compute b op a, and float
 *    MIN/MAX (and which NaN comes out of a sum) are not commutative.
 *
 * float16 and bfloat16 go through float32 stack buffers, 512 elements at
 * a time: widen both inputs, combine with the float32 loop, round once.
 * Each chunk is read completely before its output is written, so any
 * aliasing is fine there.
 *
 * weft__reduce_multi() makes one pass over memory: for each 8 KiB chunk of
 * the output it folds the inputs in left to right, (s0 op s1) op s2 ...,
 * while the chunk stays in L1.  float16/bfloat16 accumulate in float32
 * across all inputs and round once at the end, which is more accurate
 * than rounding after every step and so can differ from a chain of
 * weft__reduce() calls.  One input is a plain copy.
 */
#include "reduce/kernels.h"
#include "util/compiler.h"
#include "util/log.h"

#include <stdint.h>
#include <string.h>

/* Stack buffer for the aliased and multi-input paths: in L1, and far
 * below any thread's stack limit. */
#define NATIVE_CHUNK_BYTES 8192

static int is_half(weft_datatype_t dt)
{
    return dt == WEFT_FLOAT16 || dt == WEFT_BFLOAT16;
}

static int args_valid(const char *fn, weft_datatype_t dt, weft_op_t op)
{
    if (WEFT_LIKELY(weft__dtype_valid((int)dt) && weft__op_valid((int)op)))
        return 1;
    WEFT_WARN("%s: invalid datatype %d or op %d (a weft bug); nothing reduced", fn, (int)dt,
              (int)op);
    return 0;
}

static void reduce_native(const weft__reduce_loops_t *loops, size_t size, char *dst, const char *a,
                          const char *b, size_t count)
{
    if (dst != a && dst != b) {
        loops->three(dst, a, b, count);
        return;
    }
    if (dst == a && a != b) {
        loops->acc(dst, b, count);
        return;
    }
    _Alignas(64) unsigned char tmp[NATIVE_CHUNK_BYTES];
    size_t chunk = sizeof(tmp) / size;
    for (size_t i = 0; i < count; i += chunk) {
        size_t n = WEFT_MIN(chunk, count - i);
        loops->three(tmp, a + i * size, b + i * size, n);
        memcpy(dst + i * size, tmp, n * size);
    }
}

static void reduce_half(const weft__reduce_kernels_t *k, const weft__reduce_loops_t *loops,
                        weft_datatype_t dt, uint16_t *dst, const uint16_t *a, const uint16_t *b,
                        size_t count)
{
    weft__convert_fn widen = dt == WEFT_FLOAT16 ? k->f16_to_f32 : k->bf16_to_f32;
    weft__convert_fn narrow = dt == WEFT_FLOAT16 ? k->f32_to_f16 : k->f32_to_bf16;
    _Alignas(64) float fa[WEFT_REDUCE_HALF_CHUNK];
    _Alignas(64) float fb[WEFT_REDUCE_HALF_CHUNK];
    for (size_t i = 0; i < count; i += WEFT_REDUCE_HALF_CHUNK) {
        size_t n = WEFT_MIN((size_t)WEFT_REDUCE_HALF_CHUNK, count - i);
        widen(fa, a + i, n);
        widen(fb, b + i, n);
        loops->acc(fa, fb, n);
        narrow(dst + i, fa, n);
    }
}

void weft__reduce(void *dst, const void *a, const void *b, size_t count, weft_datatype_t dt,
                  weft_op_t op)
{
    if (count == 0 || !args_valid("weft__reduce", dt, op))
        return;
    const weft__reduce_kernels_t *k = weft__reduce_kernels();
    const weft__reduce_loops_t *loops = &k->loops[dt][op];
    if (is_half(dt))
        reduce_half(k, loops, dt, dst, a, b, count);
    else
        reduce_native(loops, weft__dtype_size(dt), dst, a, b, count);
}

static void multi_native(const weft__reduce_loops_t *loops, size_t size, char *dst,
                         const void *const *srcs, int nsrcs, size_t count)
{
    /* Accumulate straight into dst, unless dst is one of srcs[1..]: that
     * input's chunk would be overwritten before it is read. */
    int direct = 1;
    for (int s = 1; s < nsrcs; s++) {
        if (srcs[s] == dst)
            direct = 0;
    }
    _Alignas(64) unsigned char tmp[NATIVE_CHUNK_BYTES];
    size_t chunk = sizeof(tmp) / size;
    for (size_t i = 0; i < count; i += chunk) {
        size_t n = WEFT_MIN(chunk, count - i), off = i * size;
        char *acc = direct ? dst + off : (char *)tmp;
        const char *s0 = (const char *)srcs[0] + off;
        const char *s1 = (const char *)srcs[1] + off;
        if (acc == s0)
            loops->acc(acc, s1, n);
        else
            loops->three(acc, s0, s1, n);
        for (int s = 2; s < nsrcs; s++)
            loops->acc(acc, (const char *)srcs[s] + off, n);
        if (!direct)
            memcpy(dst + off, tmp, n * size);
    }
}

static void multi_half(const weft__reduce_kernels_t *k, const weft__reduce_loops_t *loops,
                       weft_datatype_t dt, uint16_t *dst, const void *const *srcs, int nsrcs,
                       size_t count)
{
    weft__convert_fn widen = dt == WEFT_FLOAT16 ? k->f16_to_f32 : k->bf16_to_f32;
    weft__convert_fn narrow = dt == WEFT_FLOAT16 ? k->f32_to_f16 : k->f32_to_bf16;
    _Alignas(64) float acc[WEFT_REDUCE_HALF_CHUNK];
    _Alignas(64) float tmp[WEFT_REDUCE_HALF_CHUNK];
    for (size_t i = 0; i < count; i += WEFT_REDUCE_HALF_CHUNK) {
        size_t n = WEFT_MIN((size_t)WEFT_REDUCE_HALF_CHUNK, count - i);
        widen(acc, (const uint16_t *)srcs[0] + i, n);
        for (int s = 1; s < nsrcs; s++) {
            widen(tmp, (const uint16_t *)srcs[s] + i, n);
            loops->acc(acc, tmp, n);
        }
        narrow(dst + i, acc, n);
    }
}

void weft__reduce_multi(void *dst, const void *const *srcs, int nsrcs, size_t count,
                        weft_datatype_t dt, weft_op_t op)
{
    if (count == 0 || !args_valid("weft__reduce_multi", dt, op))
        return;
    if (WEFT_UNLIKELY(nsrcs < 1)) {
        WEFT_WARN("weft__reduce_multi: %d inputs (a weft bug); nothing reduced", nsrcs);
        return;
    }
    size_t size = weft__dtype_size(dt);
    if (nsrcs == 1) {
        /* A copy, not widen-and-round: that would quiet signalling NaNs. */
        if (dst != srcs[0])
            memcpy(dst, srcs[0], count * size);
        return;
    }
    const weft__reduce_kernels_t *k = weft__reduce_kernels();
    const weft__reduce_loops_t *loops = &k->loops[dt][op];
    if (is_half(dt))
        multi_half(k, loops, dt, dst, srcs, nsrcs, count);
    else
        multi_native(loops, size, dst, srcs, nsrcs, count);
}
