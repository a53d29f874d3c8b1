/*
 * divide.c - weft__divide(): the end of AVG, dst[i] /= divisor.
 *
 * AVG reduces as SUM; the collective divides once, by the number of ranks,
 * when the sum is complete.  The division is the plain one of each type:
 *  - integers divide like C, truncating toward zero (-7 / 2 == -3).  Signed
 *    values divide as int64_t so that the unsigned divisor is not applied
 *    to a value converted to unsigned, and so that a divisor above
 *    INT32_MAX is still right;
 *  - float32 and float64 divide in the type - a true division, not a
 *    multiply by the reciprocal, which would round twice.  The divisor is
 *    converted to the type first, exactly for any divisor up to 2^24
 *    (float32), i.e. any rank count;
 *  - float16 and bfloat16 widen to float32 (with the active ISA's
 *    converters), divide, and round to nearest even.
 * A divisor of 1 leaves dst untouched; 0 is a caller bug, logged, and also
 * leaves dst untouched.  Integer division does not vectorise on x86, so
 * this is baseline code: AVG is rare and the division runs once per call.
 */
#include "reduce/kernels.h"
#include "util/compiler.h"
#include "util/log.h"

#include <stdint.h>

static void divide_half(weft_datatype_t dt, uint16_t *p, size_t count, uint32_t divisor)
{
    const weft__reduce_kernels_t *k = weft__reduce_kernels();
    weft__convert_fn widen = dt == WEFT_FLOAT16 ? k->f16_to_f32 : k->bf16_to_f32;
    weft__convert_fn narrow = dt == WEFT_FLOAT16 ? k->f32_to_f16 : k->f32_to_bf16;
    float d = (float)divisor;
    _Alignas(64) float buf[WEFT_REDUCE_HALF_CHUNK];
    for (size_t i = 0; i < count; i += WEFT_REDUCE_HALF_CHUNK) {
        size_t n = WEFT_MIN((size_t)WEFT_REDUCE_HALF_CHUNK, count - i);
        widen(buf, p + i, n);
        for (size_t j = 0; j < n; j++)
            buf[j] = buf[j] / d;
        narrow(p + i, buf, n);
    }
}

static void divide_int8(int8_t *p, size_t count, int64_t d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = (int8_t)(p[i] / d);
}

static void divide_int32(int32_t *p, size_t count, int64_t d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = (int32_t)(p[i] / d);
}

static void divide_int64(int64_t *p, size_t count, int64_t d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = p[i] / d;
}

static void divide_uint8(uint8_t *p, size_t count, uint32_t d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = (uint8_t)(p[i] / d);
}

static void divide_uint32(uint32_t *p, size_t count, uint32_t d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = p[i] / d;
}

static void divide_uint64(uint64_t *p, size_t count, uint64_t d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = p[i] / d;
}

static void divide_float32(float *p, size_t count, float d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = p[i] / d;
}

static void divide_float64(double *p, size_t count, double d)
{
    for (size_t i = 0; i < count; i++)
        p[i] = p[i] / d;
}

void weft__divide(void *dst, size_t count, weft_datatype_t dt, uint32_t divisor)
{
    if (count == 0 || divisor == 1)
        return;
    if (WEFT_UNLIKELY(divisor == 0 || !weft__dtype_valid((int)dt))) {
        WEFT_WARN("weft__divide: divisor %u, datatype %d (a weft bug); nothing divided", divisor,
                  (int)dt);
        return;
    }
    switch (dt) {
    case WEFT_INT8:
        divide_int8(dst, count, (int64_t)divisor);
        break;
    case WEFT_UINT8:
        divide_uint8(dst, count, divisor);
        break;
    case WEFT_INT32:
        divide_int32(dst, count, (int64_t)divisor);
        break;
    case WEFT_UINT32:
        divide_uint32(dst, count, divisor);
        break;
    case WEFT_INT64:
        divide_int64(dst, count, (int64_t)divisor);
        break;
    case WEFT_UINT64:
        divide_uint64(dst, count, (uint64_t)divisor);
        break;
    case WEFT_FLOAT16:
    case WEFT_BFLOAT16:
        divide_half(dt, dst, count, divisor);
        break;
    case WEFT_FLOAT32:
        divide_float32(dst, count, (float)divisor);
        break;
    case WEFT_FLOAT64:
        divide_float64(dst, count, (double)divisor);
        break;
    }
}
