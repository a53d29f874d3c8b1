/*
 * reduce_data.c - inputs for the GPU reduction test, made to reach every
 * branch of the kernels' arithmetic (wrapping integers, float specials,
 * 16-bit float subnormals and NaN payloads), and the comparison with the
 * CPU's result.
 */
#include "reduce_data.h"
#include "reduce/half.h"
#include "reduce/reduce.h"

#include <stdio.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* float32 specials; their 16-bit versions come from narrowing, plus
 * explicit bit patterns below. */
static const uint32_t float_specials[] = {
    0x7fc00000u, 0xffc00001u, 0x7f800001u /* signalling */, 0x7fa5a5a5u, 0x7f800000u, 0xff800000u,
    0x00000000u, 0x80000000u, 0x00000001u /* subnormal */,  0x807fffffu, 0x7f7fffffu, 0x3f800000u,
};
static const uint16_t half_specials[] = {0x7c01u, 0x7e00u, 0xfe3fu, 0x7c00u, 0xfc00u, 0x0000u,
                                         0x8000u, 0x0001u, 0x03ffu, 0x7bffu, 0x3c00u};
static const uint64_t double_specials[] = {0x7ff8000000000000ull, 0xfff0000000000001ull,
                                           0x7ff0000000000000ull, 0x8000000000000000ull,
                                           0x0000000000000001ull, 0x7fefffffffffffffull};

#define NSPEC(a) (sizeof(a) / sizeof((a)[0]))

static float uniform(uint64_t r)
{
    return (float)((double)(r >> 11) * 0x1p-53 * 4.0 - 2.0);
}

void reduce_data_fill(weft_datatype_t dt, int input, void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t r = mix(((uint64_t)input << 40) ^ (i * 0x9e3779b97f4a7c15ull) ^ (uint64_t)dt);
        int special = i % 61 == (size_t)(input * 7) % 61;
        float f = uniform(r);
        uint32_t fbits;
        switch (dt) {
        case WEFT_INT8:
        case WEFT_UINT8:
            ((uint8_t *)buf)[i] = (uint8_t)r;
            break;
        case WEFT_INT32:
        case WEFT_UINT32:
            ((uint32_t *)buf)[i] = (uint32_t)r;
            break;
        case WEFT_INT64:
        case WEFT_UINT64:
            ((uint64_t *)buf)[i] = r;
            break;
        case WEFT_FLOAT16:
            ((uint16_t *)buf)[i] =
                special ? half_specials[(r >> 3) % NSPEC(half_specials)] : weft__float_to_half(f);
            break;
        case WEFT_BFLOAT16:
            fbits = float_specials[(r >> 3) % NSPEC(float_specials)];
            ((uint16_t *)buf)[i] =
                special ? (uint16_t)(fbits >> 16) | (fbits & 1u) : weft__float_to_bf16(f);
            break;
        case WEFT_FLOAT32:
            fbits =
                special ? float_specials[(r >> 3) % NSPEC(float_specials)] : weft__float_bits(f);
            memcpy((uint32_t *)buf + i, &fbits, 4);
            break;
        case WEFT_FLOAT64: {
            double d = (double)f + (double)(r & 0xffff) * 0x1p-40;
            uint64_t dbits;
            memcpy(&dbits, &d, 8);
            if (special)
                dbits = double_specials[(r >> 3) % NSPEC(double_specials)];
            memcpy((uint64_t *)buf + i, &dbits, 8);
            break;
        }
        }
    }
}

/* Bits of element i as an unsigned integer. */
static uint64_t bits_at(weft_datatype_t dt, const void *buf, size_t i)
{
    switch (weft__dtype_size(dt)) {
    case 1:
        return ((const uint8_t *)buf)[i];
    case 2:
        return ((const uint16_t *)buf)[i];
    case 4:
        return ((const uint32_t *)buf)[i];
    default:
        return ((const uint64_t *)buf)[i];
    }
}

static int is_nan(weft_datatype_t dt, uint64_t b)
{
    switch (dt) {
    case WEFT_FLOAT16:
        return (b & 0x7fffu) > 0x7c00u;
    case WEFT_BFLOAT16:
        return (b & 0x7fffu) > 0x7f80u;
    case WEFT_FLOAT32:
        return (b & 0x7fffffffu) > 0x7f800000u;
    case WEFT_FLOAT64:
        return (b & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
    default:
        return 0;
    }
}

size_t reduce_data_compare(weft_datatype_t dt, weft_op_t op, const void *got, const void *want,
                           size_t n)
{
    int nan_payload_free = op == WEFT_SUM || op == WEFT_PROD || op == WEFT_AVG;
    for (size_t i = 0; i < n; i++) {
        uint64_t g = bits_at(dt, got, i), w = bits_at(dt, want, i);
        if (g == w)
            continue;
        if (nan_payload_free && is_nan(dt, g) && is_nan(dt, w))
            continue;
        return i;
    }
    return n;
}

const char *reduce_data_show(weft_datatype_t dt, const void *buf, size_t i, char out[24])
{
    snprintf(out, 24, "0x%0*llx", (int)weft__dtype_size(dt) * 2,
             (unsigned long long)bits_at(dt, buf, i));
    return out;
}
