/*
 * half.h - float16 and bfloat16 conversions, round to nearest even.
 *
 * Static inline and branch-free - every case is computed and one is
 * selected with bit masks - so that compilers vectorise loops over them.
 * (A ?: select is not enough for GCC: it turns it back into a branch and,
 * because a float operation may raise an exception it must not speculate,
 * then refuses to vectorise the loop.)  Static, too, so that each reduction
 * kernel file, built for its own instruction set, gets its own copy: an
 * extern inline could be merged at link time with a copy built for AVX-512
 * and run on a CPU without it.
 *
 * The results are bit-identical to the F16C instructions (VCVTPH2PS,
 * VCVTPS2PH with round-to-nearest-even), which the AVX kernels use for
 * whole vectors while these handle the tails:
 *  - half -> float is exact; a NaN keeps its sign and payload and comes out
 *    quiet, as F16C does;
 *  - float -> half rounds to nearest even, overflows to infinity (from
 *    65520 up, the halfway point past the largest half, 65504), produces
 *    subnormals below 2^-14, and turns a NaN into a quiet NaN with the same
 *    sign and the top ten payload bits;
 *  - bfloat16 is the top half of a float32: widening is exact (NaNs kept
 *    bit for bit), narrowing rounds to nearest even and quiets NaNs.
 * The subnormal case of float -> half lets the FPU do the rounding, so it
 * assumes the default rounding mode (nearest even) and SSE, not x87, maths.
 */
#ifndef WEFT_REDUCE_HALF_H
#define WEFT_REDUCE_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t weft__float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static inline float weft__bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* mask ? a : b, for a mask of all ones or all zeros, without a branch. */
static inline uint32_t weft__select_bits(uint32_t mask, uint32_t a, uint32_t b)
{
    return (mask & a) | (~mask & b);
}

/* All ones if cond, else zero. */
static inline uint32_t weft__mask_if(int cond)
{
    return 0u - (uint32_t)(cond != 0);
}

static inline float weft__half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t em = h & 0x7fffu; /* exponent and mantissa */
    /* Normal: move the fields into place and rebias the exponent 15 -> 127. */
    uint32_t normal = (em << 13) + ((127u - 15u) << 23);
    /* Infinity and NaN: all-ones exponent; a NaN is made quiet. */
    uint32_t special = (em << 13) | 0x7f800000u | (em > 0x7c00u ? 0x00400000u : 0u);
    /* Subnormal (and zero): the value is mantissa * 2^-24, exact in float
     * (and no float subnormal is involved, so FTZ/DAZ modes do no harm). */
    uint32_t subnormal = weft__float_bits((float)(int32_t)em * 0x1p-24f);
    uint32_t bits = weft__select_bits(weft__mask_if(em >= 0x0400u), normal, subnormal);
    bits = weft__select_bits(weft__mask_if(em >= 0x7c00u), special, bits);
    return weft__bits_float(sign | bits);
}

static inline uint16_t weft__float_to_half(float f)
{
    uint32_t x = weft__float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    /* Normal: rebias 127 -> 15 and drop 13 mantissa bits, adding just under
     * half of them plus the lowest kept bit: ties go to even, and a carry
     * out of the mantissa correctly bumps the exponent. */
    uint32_t normal = (ax - ((127u - 15u) << 23) + 0x0fffu + ((ax >> 13) & 1u)) >> 13;
    /* Subnormal: adding 0.5 (whose ulp is 2^-24, the half subnormal step)
     * makes the FPU round |f| to a multiple of 2^-24; the mantissa bits
     * are then the half's.  Rounding up to 2^-14 gives the smallest
     * normal, 0x0400, which is also right. */
    uint32_t subnormal = weft__float_bits(weft__bits_float(ax) + 0.5f) - 0x3f000000u;
    uint32_t nan = 0x7e00u | ((ax >> 13) & 0x03ffu);
    uint32_t h = weft__select_bits(weft__mask_if(ax >= 0x38800000u), normal, subnormal); /* 2^-14 */
    h = weft__select_bits(weft__mask_if(ax >= 0x477ff000u), 0x7c00u, h); /* 65520: infinity */
    h = weft__select_bits(weft__mask_if(ax > 0x7f800000u), nan, h);
    return (uint16_t)(sign | h);
}

static inline float weft__bf16_to_float(uint16_t b)
{
    return weft__bits_float((uint32_t)b << 16);
}

static inline uint16_t weft__float_to_bf16(float f)
{
    uint32_t x = weft__float_bits(f);
    /* Same rounding as the normal half case; the carry can reach the
     * exponent and make infinity, which is the right overflow. */
    uint32_t rounded = (x + 0x7fffu + ((x >> 16) & 1u)) >> 16;
    uint32_t nan = (x >> 16) | 0x0040u;
    return (uint16_t)weft__select_bits(weft__mask_if((x & 0x7fffffffu) > 0x7f800000u), nan,
                                       rounded);
}

#endif
