/*
 * half.cuh - float16 and bfloat16 conversions on the GPU, bit for bit
 * those of reduce/half.h (and so of the CPU's F16C instructions).
 *
 * Not cuda_fp16's __float2half_rn: it rounds the same way but turns every
 * NaN into one canonical NaN, where the CPU path keeps the sign and the
 * top payload bits.  Branches instead of half.h's masks: the GPU has no
 * vectoriser to please, and a warp's lanes almost always take the same
 * branch.  The arithmetic is spelled with _rn intrinsics so that no
 * compiler flag (fast math, flush to zero) can change it.
 */
#ifndef WEFT_CUDA_DEVICE_HALF_CUH
#define WEFT_CUDA_DEVICE_HALF_CUH

#include <stdint.h>

static __device__ __forceinline__ float weft_dev_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t em = h & 0x7fffu; /* exponent and mantissa */
    uint32_t bits;
    if (em >= 0x7c00u) /* infinity, NaN (made quiet) */
        bits = (em << 13) | 0x7f800000u | (em > 0x7c00u ? 0x00400000u : 0u);
    else if (em >= 0x0400u) /* normal: rebias the exponent 15 -> 127 */
        bits = (em << 13) + ((127u - 15u) << 23);
    else /* subnormal or zero: mantissa * 2^-24, exact */
        bits = __float_as_uint(__fmul_rn(__uint2float_rn(em), 0x1p-24f));
    return __uint_as_float(sign | bits);
}

static __device__ __forceinline__ uint16_t weft_dev_float_to_half(float f)
{
    uint32_t x = __float_as_uint(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    uint32_t h;
    if (ax > 0x7f800000u) /* NaN: quiet, top ten payload bits */
        h = 0x7e00u | ((ax >> 13) & 0x03ffu);
    else if (ax >= 0x477ff000u) /* from 65520 up: infinity */
        h = 0x7c00u;
    else if (ax >= 0x38800000u) /* normal: round the dropped 13 bits to nearest even */
        h = (ax - ((127u - 15u) << 23) + 0x0fffu + ((ax >> 13) & 1u)) >> 13;
    else /* subnormal: adding 0.5 rounds |f| to a multiple of 2^-24 */
        h = __float_as_uint(__fadd_rn(__uint_as_float(ax), 0.5f)) - 0x3f000000u;
    return (uint16_t)(sign | h);
}

static __device__ __forceinline__ float weft_dev_bf16_to_float(uint16_t b)
{
    return __uint_as_float((uint32_t)b << 16);
}

static __device__ __forceinline__ uint16_t weft_dev_float_to_bf16(float f)
{
    uint32_t x = __float_as_uint(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it, make it quiet */
        return (uint16_t)((x >> 16) | 0x0040u);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

#endif
