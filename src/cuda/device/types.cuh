/*
 * types.cuh - what the GPU kernels know about each datatype and op.
 *
 * An element type is a small struct: S, how it is stored; C, the type the
 * arithmetic runs in (float for float16/bfloat16, S otherwise); widen()
 * and narrow() between them; divide() for the end of AVG.  The vector
 * loop sees memory as lanes instead: LS stored, LC computed, lwiden() and
 * lnarrow().  A lane is one element, except for 8-bit integers, where it
 * is four elements in one 32-bit word combined with the GPU's SIMD-in-a-
 * word instructions (__vadd4, __vminu4, ...): sixteen separate bytes per
 * vector would need four times the registers, and the kernel spilled.
 * `unroll` is how many vectors a thread of the vector loop holds at once
 * (WEFT_CUDA_REDUCE_UNROLL, halved for 16-bit floats, whose float32
 * accumulators take twice the registers of their data).
 * An op is a struct with apply(acc, next) over any compute type.  They
 * mirror the CPU kernels (reduce/kernels_body.h) rule for rule:
 *  - integer SUM and PROD run on the unsigned type of the same width
 *    (reduce.c in the GPU path picks U8/U32/U64 for signed data too):
 *    the low bits do not depend on signedness and unsigned wraps without
 *    undefined behaviour;
 *  - MIN is `a < b ? a : b` and MAX `a > b ? a : b` in the real type, so a
 *    NaN in b wins, a NaN in a loses and min(-0, +0) is +0;
 *  - float arithmetic uses the _rn intrinsics: round to nearest even,
 *    never contracted into a fused multiply-add, whatever the flags.
 */
#ifndef WEFT_CUDA_DEVICE_TYPES_CUH
#define WEFT_CUDA_DEVICE_TYPES_CUH

#include "cuda/device/half.cuh"
#include "cuda/reduce_plan.h"

#include <stdint.h>

/* Integers and full-width floats: stored as computed, a lane is an element. */
template <typename T> struct weft_plain {
    typedef T S;
    typedef T C;
    typedef T LS;
    typedef T LC;
    enum { unroll = WEFT_CUDA_REDUCE_UNROLL };
    static __device__ __forceinline__ C widen(S x) { return x; }
    static __device__ __forceinline__ S narrow(C x) { return x; }
    static __device__ __forceinline__ LC lwiden(LS x) { return x; }
    static __device__ __forceinline__ LS lnarrow(LC x) { return x; }
};

/* Four 8-bit integers in a word, unsigned or signed lanes. */
struct weft_u8x4 {
    uint32_t w;
};
struct weft_i8x4 {
    uint32_t w;
};

/* 8-bit integers: elements on the scalar path, words of four in vectors. */
template <typename T, typename X> struct weft_byte : weft_plain<T> {
    typedef uint32_t LS;
    typedef X LC;
    static __device__ __forceinline__ LC lwiden(LS x) { return LC{x}; }
    static __device__ __forceinline__ LS lnarrow(LC x) { return x.w; }
};

struct weft_u8 : weft_byte<uint8_t, weft_u8x4> {
    static __device__ __forceinline__ S divide(S x, uint32_t d) { return (S)(x / d); }
};
struct weft_i8 : weft_byte<int8_t, weft_i8x4> {
    static __device__ __forceinline__ S divide(S x, uint32_t d) { return (S)(x / (int64_t)d); }
};
struct weft_u32 : weft_plain<uint32_t> {
    static __device__ __forceinline__ S divide(S x, uint32_t d) { return x / d; }
};
struct weft_i32 : weft_plain<int32_t> {
    static __device__ __forceinline__ S divide(S x, uint32_t d) { return (S)(x / (int64_t)d); }
};
struct weft_u64 : weft_plain<uint64_t> {
    static __device__ __forceinline__ S divide(S x, uint32_t d) { return x / (uint64_t)d; }
};
struct weft_i64 : weft_plain<int64_t> {
    static __device__ __forceinline__ S divide(S x, uint32_t d) { return x / (int64_t)d; }
};
struct weft_f32 : weft_plain<float> {
    static __device__ __forceinline__ S divide(S x, uint32_t d)
    {
        return __fdiv_rn(x, __uint2float_rn(d));
    }
};
struct weft_f64 : weft_plain<double> {
    static __device__ __forceinline__ S divide(S x, uint32_t d)
    {
        return __ddiv_rn(x, __uint2double_rn(d));
    }
};

/* 16-bit floats: stored as bits, computed in float32. */
struct weft_f16 {
    typedef uint16_t S;
    typedef float C;
    typedef uint16_t LS;
    typedef float LC;
    enum { unroll = WEFT_CUDA_REDUCE_UNROLL / 2 }; /* float accumulators: twice the registers */
    static __device__ __forceinline__ C widen(S x) { return weft_dev_half_to_float(x); }
    static __device__ __forceinline__ S narrow(C x) { return weft_dev_float_to_half(x); }
    static __device__ __forceinline__ LC lwiden(LS x) { return widen(x); }
    static __device__ __forceinline__ LS lnarrow(LC x) { return narrow(x); }
    static __device__ __forceinline__ S divide(S x, uint32_t d)
    {
        return narrow(__fdiv_rn(widen(x), __uint2float_rn(d)));
    }
};
struct weft_bf16 {
    typedef uint16_t S;
    typedef float C;
    typedef uint16_t LS;
    typedef float LC;
    enum { unroll = WEFT_CUDA_REDUCE_UNROLL / 2 }; /* float accumulators: twice the registers */
    static __device__ __forceinline__ C widen(S x) { return weft_dev_bf16_to_float(x); }
    static __device__ __forceinline__ S narrow(C x) { return weft_dev_float_to_bf16(x); }
    static __device__ __forceinline__ LC lwiden(LS x) { return widen(x); }
    static __device__ __forceinline__ LS lnarrow(LC x) { return narrow(x); }
    static __device__ __forceinline__ S divide(S x, uint32_t d)
    {
        return narrow(__fdiv_rn(widen(x), __uint2float_rn(d)));
    }
};

/* SUM: the + of the type; uint8_t promotes to int and the store truncates. */
static __device__ __forceinline__ uint8_t weft_dev_sum(uint8_t a, uint8_t b)
{
    return (uint8_t)(a + b);
}
static __device__ __forceinline__ uint32_t weft_dev_sum(uint32_t a, uint32_t b)
{
    return a + b;
}
static __device__ __forceinline__ uint64_t weft_dev_sum(uint64_t a, uint64_t b)
{
    return a + b;
}
static __device__ __forceinline__ float weft_dev_sum(float a, float b)
{
    return __fadd_rn(a, b);
}
static __device__ __forceinline__ double weft_dev_sum(double a, double b)
{
    return __dadd_rn(a, b);
}

/* PROD: 8-bit operands promote to int, whose product cannot overflow. */
static __device__ __forceinline__ uint8_t weft_dev_prod(uint8_t a, uint8_t b)
{
    return (uint8_t)(a * b);
}
static __device__ __forceinline__ uint32_t weft_dev_prod(uint32_t a, uint32_t b)
{
    return a * b;
}
static __device__ __forceinline__ uint64_t weft_dev_prod(uint64_t a, uint64_t b)
{
    return a * b;
}
static __device__ __forceinline__ float weft_dev_prod(float a, float b)
{
    return __fmul_rn(a, b);
}
static __device__ __forceinline__ double weft_dev_prod(double a, double b)
{
    return __dmul_rn(a, b);
}

/* MIN and MAX of one element: the CPU's comparisons exactly. */
template <typename C> static __device__ __forceinline__ C weft_dev_min(C a, C b)
{
    return a < b ? a : b;
}
template <typename C> static __device__ __forceinline__ C weft_dev_max(C a, C b)
{
    return a > b ? a : b;
}

/* Four bytes at a time: each lane wraps, or compares, on its own. */
static __device__ __forceinline__ weft_u8x4 weft_dev_sum(weft_u8x4 a, weft_u8x4 b)
{
    return weft_u8x4{__vadd4(a.w, b.w)};
}
static __device__ __forceinline__ weft_u8x4 weft_dev_prod(weft_u8x4 a, weft_u8x4 b)
{
    uint32_t r = 0;
#pragma unroll
    for (int k = 0; k < 32; k += 8)
        r |= (((a.w >> k) & 0xffu) * ((b.w >> k) & 0xffu) & 0xffu) << k;
    return weft_u8x4{r};
}
static __device__ __forceinline__ weft_u8x4 weft_dev_min(weft_u8x4 a, weft_u8x4 b)
{
    return weft_u8x4{__vminu4(a.w, b.w)};
}
static __device__ __forceinline__ weft_u8x4 weft_dev_max(weft_u8x4 a, weft_u8x4 b)
{
    return weft_u8x4{__vmaxu4(a.w, b.w)};
}
static __device__ __forceinline__ weft_i8x4 weft_dev_min(weft_i8x4 a, weft_i8x4 b)
{
    return weft_i8x4{__vmins4(a.w, b.w)};
}
static __device__ __forceinline__ weft_i8x4 weft_dev_max(weft_i8x4 a, weft_i8x4 b)
{
    return weft_i8x4{__vmaxs4(a.w, b.w)};
}

struct weft_op_sum {
    template <typename C> static __device__ __forceinline__ C apply(C a, C b)
    {
        return weft_dev_sum(a, b);
    }
};
struct weft_op_prod {
    template <typename C> static __device__ __forceinline__ C apply(C a, C b)
    {
        return weft_dev_prod(a, b);
    }
};
struct weft_op_min {
    template <typename C> static __device__ __forceinline__ C apply(C a, C b)
    {
        return weft_dev_min(a, b);
    }
};
struct weft_op_max {
    template <typename C> static __device__ __forceinline__ C apply(C a, C b)
    {
        return weft_dev_max(a, b);
    }
};

#endif
