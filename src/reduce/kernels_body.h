/*
 * kernels_body.h - the reduction loops, written once, compiled per ISA.
 *
 * Included by exactly one file per instruction set (cpu_generic.c,
 * cpu_avx.c, ...), after it defines WEFT_REDUCE_KERNELS_NAME (the table's
 * symbol) and WEFT_REDUCE_ISA_NAME (its name string).  The loops are plain
 * C; the compiler vectorises them for whatever -m flags that file was built
 * with.  Only the float16 conversions use intrinsics, because no compiler
 * turns the bit-twiddling of half.h into VCVTPH2PS: F16C converts eight at
 * a time, AVX-512F sixteen.  The scalar half.h functions give identical
 * results and handle the tails.
 *
 * Integer SUM and PROD run on the unsigned type of the same width, for
 * signed and unsigned data alike: the low bits of a sum or product do not
 * depend on signedness, and unsigned arithmetic wraps without undefined
 * behaviour.  (uint8_t operands promote to int, whose product of two 8-bit
 * values cannot overflow; the store truncates.)  MIN and MAX compare in the
 * real type.  For floats, MIN is `a < b ? a : b` exactly as reduce.h says,
 * which is also what MINPS computes: a NaN in b wins, a NaN in a loses,
 * and min(-0, +0) is +0 (b).
 *
 * No include guard: each including file wants its own copy.
 */
#include "reduce/half.h"
#include "reduce/kernels.h"

#include <stdint.h>
#if defined(__F16C__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#if !defined(WEFT_REDUCE_KERNELS_NAME) || !defined(WEFT_REDUCE_ISA_NAME)
#error "define WEFT_REDUCE_KERNELS_NAME and WEFT_REDUCE_ISA_NAME before including kernels_body.h"
#endif

#define WEFT_OP_SUM(x, y) ((x) + (y))
#define WEFT_OP_PROD(x, y) ((x) * (y))
#define WEFT_OP_MIN(x, y) ((x) < (y) ? (x) : (y))
#define WEFT_OP_MAX(x, y) ((x) > (y) ? (x) : (y))

/* Stamps out the two plain loops of one (type, op): `three` and `acc` (see
 * kernels.h for their contracts, which make the restricts true). */
#define WEFT_REDUCE_LOOPS(three_name, acc_name, T, OP)                                             \
    static void three_name(void *restrict dst_v, const void *restrict a_v,                         \
                           const void *restrict b_v, size_t n)                                     \
    {                                                                                              \
        T *restrict dst = dst_v;                                                                   \
        const T *restrict a = a_v;                                                                 \
        const T *restrict b = b_v;                                                                 \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[i] = OP(a[i], b[i]);                                                               \
    }                                                                                              \
    static void acc_name(void *restrict acc_v, const void *restrict b_v, size_t n)                 \
    {                                                                                              \
        T *restrict acc = acc_v;                                                                   \
        const T *restrict b = b_v;                                                                 \
        for (size_t i = 0; i < n; i++)                                                             \
            acc[i] = OP(acc[i], b[i]);                                                             \
    }

WEFT_REDUCE_LOOPS(u8_sum, u8_sum_acc, uint8_t, WEFT_OP_SUM)
WEFT_REDUCE_LOOPS(u8_prod, u8_prod_acc, uint8_t, WEFT_OP_PROD)
WEFT_REDUCE_LOOPS(u8_min, u8_min_acc, uint8_t, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(u8_max, u8_max_acc, uint8_t, WEFT_OP_MAX)
WEFT_REDUCE_LOOPS(i8_min, i8_min_acc, int8_t, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(i8_max, i8_max_acc, int8_t, WEFT_OP_MAX)

WEFT_REDUCE_LOOPS(u32_sum, u32_sum_acc, uint32_t, WEFT_OP_SUM)
WEFT_REDUCE_LOOPS(u32_prod, u32_prod_acc, uint32_t, WEFT_OP_PROD)
WEFT_REDUCE_LOOPS(u32_min, u32_min_acc, uint32_t, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(u32_max, u32_max_acc, uint32_t, WEFT_OP_MAX)
WEFT_REDUCE_LOOPS(i32_min, i32_min_acc, int32_t, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(i32_max, i32_max_acc, int32_t, WEFT_OP_MAX)

WEFT_REDUCE_LOOPS(u64_sum, u64_sum_acc, uint64_t, WEFT_OP_SUM)
WEFT_REDUCE_LOOPS(u64_prod, u64_prod_acc, uint64_t, WEFT_OP_PROD)
WEFT_REDUCE_LOOPS(u64_min, u64_min_acc, uint64_t, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(u64_max, u64_max_acc, uint64_t, WEFT_OP_MAX)
WEFT_REDUCE_LOOPS(i64_min, i64_min_acc, int64_t, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(i64_max, i64_max_acc, int64_t, WEFT_OP_MAX)

WEFT_REDUCE_LOOPS(f32_sum, f32_sum_acc, float, WEFT_OP_SUM)
WEFT_REDUCE_LOOPS(f32_prod, f32_prod_acc, float, WEFT_OP_PROD)
WEFT_REDUCE_LOOPS(f32_min, f32_min_acc, float, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(f32_max, f32_max_acc, float, WEFT_OP_MAX)

WEFT_REDUCE_LOOPS(f64_sum, f64_sum_acc, double, WEFT_OP_SUM)
WEFT_REDUCE_LOOPS(f64_prod, f64_prod_acc, double, WEFT_OP_PROD)
WEFT_REDUCE_LOOPS(f64_min, f64_min_acc, double, WEFT_OP_MIN)
WEFT_REDUCE_LOOPS(f64_max, f64_max_acc, double, WEFT_OP_MAX)

static void f16_to_f32(void *restrict dst_v, const void *restrict src_v, size_t n)
{
    float *restrict dst = dst_v;
    const uint16_t *restrict src = src_v;
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const void *)(src + i))));
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const void *)(src + i))));
#endif
    for (; i < n; i++)
        dst[i] = weft__half_to_float(src[i]);
}

static void f32_to_f16(void *restrict dst_v, const void *restrict src_v, size_t n)
{
    uint16_t *restrict dst = dst_v;
    const float *restrict src = src_v;
    size_t i = 0;
    /* _MM_FROUND_TO_NEAREST_INT in the immediate: round to nearest even
     * whatever MXCSR says. */
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((void *)(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((void *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; i++)
        dst[i] = weft__float_to_half(src[i]);
}

static void bf16_to_f32(void *restrict dst_v, const void *restrict src_v, size_t n)
{
    float *restrict dst = dst_v;
    const uint16_t *restrict src = src_v;
    for (size_t i = 0; i < n; i++)
        dst[i] = weft__bf16_to_float(src[i]);
}

static void f32_to_bf16(void *restrict dst_v, const void *restrict src_v, size_t n)
{
    uint16_t *restrict dst = dst_v;
    const float *restrict src = src_v;
    for (size_t i = 0; i < n; i++)
        dst[i] = weft__float_to_bf16(src[i]);
}

/* One row of the table: the loops of one datatype, AVG sharing SUM's. */
#define WEFT_REDUCE_ROW(sum, sum_acc, prod, prod_acc, min, min_acc, max, max_acc)                  \
    {                                                                                              \
        [WEFT_SUM] = {sum, sum_acc}, [WEFT_PROD] = {prod, prod_acc}, [WEFT_MIN] = {min, min_acc},  \
        [WEFT_MAX] = {max, max_acc}, [WEFT_AVG] = {sum, sum_acc},                                  \
    }

#define WEFT_REDUCE_ROW_F32                                                                        \
    WEFT_REDUCE_ROW(f32_sum, f32_sum_acc, f32_prod, f32_prod_acc, f32_min, f32_min_acc, f32_max,   \
                    f32_max_acc)

const weft__reduce_kernels_t WEFT_REDUCE_KERNELS_NAME = {
    .name = WEFT_REDUCE_ISA_NAME,
    .loops =
        {
            [WEFT_INT8] = WEFT_REDUCE_ROW(u8_sum, u8_sum_acc, u8_prod, u8_prod_acc, i8_min,
                                          i8_min_acc, i8_max, i8_max_acc),
            [WEFT_UINT8] = WEFT_REDUCE_ROW(u8_sum, u8_sum_acc, u8_prod, u8_prod_acc, u8_min,
                                           u8_min_acc, u8_max, u8_max_acc),
            [WEFT_INT32] = WEFT_REDUCE_ROW(u32_sum, u32_sum_acc, u32_prod, u32_prod_acc, i32_min,
                                           i32_min_acc, i32_max, i32_max_acc),
            [WEFT_UINT32] = WEFT_REDUCE_ROW(u32_sum, u32_sum_acc, u32_prod, u32_prod_acc, u32_min,
                                            u32_min_acc, u32_max, u32_max_acc),
            [WEFT_INT64] = WEFT_REDUCE_ROW(u64_sum, u64_sum_acc, u64_prod, u64_prod_acc, i64_min,
                                           i64_min_acc, i64_max, i64_max_acc),
            [WEFT_UINT64] = WEFT_REDUCE_ROW(u64_sum, u64_sum_acc, u64_prod, u64_prod_acc, u64_min,
                                            u64_min_acc, u64_max, u64_max_acc),
            [WEFT_FLOAT16] = WEFT_REDUCE_ROW_F32,
            [WEFT_BFLOAT16] = WEFT_REDUCE_ROW_F32,
            [WEFT_FLOAT32] = WEFT_REDUCE_ROW_F32,
            [WEFT_FLOAT64] = WEFT_REDUCE_ROW(f64_sum, f64_sum_acc, f64_prod, f64_prod_acc, f64_min,
                                             f64_min_acc, f64_max, f64_max_acc),
        },
    .f16_to_f32 = f16_to_f32,
    .f32_to_f16 = f32_to_f16,
    .bf16_to_f32 = bf16_to_f32,
    .f32_to_bf16 = f32_to_bf16,
};
