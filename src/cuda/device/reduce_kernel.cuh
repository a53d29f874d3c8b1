/*
 * reduce_kernel.cuh - the multi-input reduction kernel, written once and
 * instantiated per (element type, op) by reduce_int.cu, reduce_float.cu
 * and reduce_half.cu.
 *
 * dst = srcs[0] op srcs[1] op ... op srcs[n-1], in one pass over memory:
 * every input element is read once and every output element written once,
 * so the kernel moves (n + 1) * bytes and its speed is the GPU's memory
 * bandwidth, as a copy's is (2 * bytes).  To get there it
 *  - moves the body in 16-byte vectors (one 128-bit load or store per
 *    thread: the widest the memory system serves per instruction), with
 *    the unaligned head and tail done element by element (reduce_plan.h
 *    cuts the range; buffers that do not line up go all scalar);
 *  - keeps several loads in flight per thread: each thread takes UNROLL
 *    vectors spaced a block apart (so a warp's accesses stay contiguous),
 *    issues the loads of one input for all of them, then combines;
 *  - loops over the grid (grid-stride), so the grid is sized to fill the
 *    GPU once rather than to cover the data.
 * Inputs are folded in left to right, like the CPU reducers, with the
 * accumulator in the compute type C (float32 for 16-bit floats, so they
 * round once at the end).  Each output element is read and written by the
 * thread that computes it, after it has read all its inputs, which is why
 * dst may be any one of the inputs.  The loop over inputs is not unrolled:
 * unrolled, the compiler hoisted the next inputs' loads and addresses and
 * needed 80 to 128 registers (spilling at two blocks per SM); rolled, a
 * thread holds UNROLL vectors of one input at a time and the occupancy
 * provides the loads in flight.
 */
#ifndef WEFT_CUDA_DEVICE_REDUCE_KERNEL_CUH
#define WEFT_CUDA_DEVICE_REDUCE_KERNEL_CUH

#include "cuda/device/launch.h"
#include "cuda/device/types.cuh"

template <typename S> struct alignas(WEFT_CUDA_VEC_BYTES) weft_vec {
    S e[WEFT_CUDA_VEC_BYTES / sizeof(S)];
};

/* One element i, every input. */
template <typename T, typename Op>
static __device__ __forceinline__ void weft_reduce_scalar(const void *const *srcs, int nsrcs,
                                                          void *dst, size_t i)
{
    typedef typename T::S S;
    typename T::C acc = T::widen(((const S *)srcs[0])[i]);
#pragma unroll 1
    for (int s = 1; s < nsrcs; s++)
        acc = Op::apply(acc, T::widen(((const S *)srcs[s])[i]));
    ((S *)dst)[i] = T::narrow(acc);
}

/* Loads vectors first + u * blockDim.x (u < U, those below nvec) of the
 * body of one input, which starts head_bytes into it. */
template <typename V, int U>
static __device__ __forceinline__ void weft_load_vectors(V *x, const void *input,
                                                         size_t head_bytes, size_t first,
                                                         size_t nvec)
{
    const V *src = (const V *)((const char *)input + head_bytes);
#pragma unroll
    for (int u = 0; u < U; u++) {
        if (first + (size_t)u * blockDim.x < nvec)
            x[u] = src[first + (size_t)u * blockDim.x];
    }
}

/* Vectors base + threadIdx.x + u * blockDim.x, u < T::unroll, of the body
 * (which starts `head` elements into every buffer). */
template <typename T, typename Op>
static __device__ __forceinline__ void weft_reduce_vectors(const void *const *srcs, int nsrcs,
                                                           void *dst, size_t head, size_t nvec,
                                                           size_t base)
{
    typedef typename T::S S;
    typedef typename T::LS LS;
    typedef typename T::LC LC;
    typedef weft_vec<LS> V;
    constexpr int K = WEFT_CUDA_VEC_BYTES / sizeof(LS);
    constexpr int U = T::unroll;
    const size_t first = base + threadIdx.x;
    LC acc[U][K];
    V x[U];
    weft_load_vectors<V, U>(x, srcs[0], head * sizeof(S), first, nvec);
#pragma unroll
    for (int u = 0; u < U; u++) {
#pragma unroll
        for (int k = 0; k < K; k++)
            acc[u][k] = T::lwiden(x[u].e[k]);
    }
#pragma unroll 1
    for (int s = 1; s < nsrcs; s++) {
        weft_load_vectors<V, U>(x, srcs[s], head * sizeof(S), first, nvec);
#pragma unroll
        for (int u = 0; u < U; u++) {
#pragma unroll
            for (int k = 0; k < K; k++)
                acc[u][k] = Op::apply(acc[u][k], T::lwiden(x[u].e[k]));
        }
    }
    V *out = (V *)((S *)dst + head);
#pragma unroll
    for (int u = 0; u < U; u++) {
        if (first + (size_t)u * blockDim.x < nvec) {
#pragma unroll
            for (int k = 0; k < K; k++)
                x[u].e[k] = T::lnarrow(acc[u][k]);
            out[first + (size_t)u * blockDim.x] = x[u];
        }
    }
}

template <typename T, typename Op>
__global__ void __launch_bounds__(WEFT_CUDA_REDUCE_THREADS, WEFT_CUDA_BLOCKS_PER_SM)
    weft_reduce_kernel(const weft__cuda_reduce_args_t a)
{
    /* The input pointers go to shared memory, copied with constant
     * indices: indexing the parameter block with a variable would make
     * the compiler copy all of it to local memory. */
    __shared__ const void *srcs[WEFT_CUDA_REDUCE_MAX_SRCS];
    __shared__ int go; /* the guard, read once per block */
    if (threadIdx.x == 0) {
#pragma unroll
        for (int s = 0; s < WEFT_CUDA_REDUCE_MAX_SRCS; s++)
            srcs[s] = a.srcs[s];
        go = a.guard == nullptr || *a.guard == 1;
    }
    __syncthreads();
    if (!go)
        return;
    constexpr size_t K = WEFT_CUDA_VEC_BYTES / sizeof(typename T::S);
    const size_t threads = (size_t)gridDim.x * blockDim.x;
    const size_t tid = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    /* Head and tail: one element per thread per round. */
    const size_t tail_start = a.head + a.nvec * K;
    const size_t nscalar = a.head + (a.count - tail_start);
    for (size_t j = tid; j < nscalar; j += threads)
        weft_reduce_scalar<T, Op>(srcs, a.nsrcs, a.dst, j < a.head ? j : tail_start + (j - a.head));
    /* Body: T::unroll vectors per thread per round. */
    const size_t per_block = (size_t)blockDim.x * T::unroll;
    for (size_t base = blockIdx.x * per_block; base < a.nvec; base += gridDim.x * per_block)
        weft_reduce_vectors<T, Op>(srcs, a.nsrcs, a.dst, a.head, a.nvec, base);
}

/* Queues the kernel of (T, Op) and returns what the launch reported. */
template <typename T, typename Op>
static cudaError_t weft_launch(const weft__cuda_reduce_args_t *args, unsigned blocks,
                               cudaStream_t stream)
{
    weft_reduce_kernel<T, Op><<<blocks, WEFT_CUDA_REDUCE_THREADS, 0, stream>>>(*args);
    return cudaGetLastError();
}

/* The kernel of (T, op); AVG reduces as SUM. */
template <typename T>
static cudaError_t weft_launch_op(weft_op_t op, const weft__cuda_reduce_args_t *args,
                                  unsigned blocks, cudaStream_t stream)
{
    switch (op) {
    case WEFT_SUM:
    case WEFT_AVG:
        return weft_launch<T, weft_op_sum>(args, blocks, stream);
    case WEFT_PROD:
        return weft_launch<T, weft_op_prod>(args, blocks, stream);
    case WEFT_MIN:
        return weft_launch<T, weft_op_min>(args, blocks, stream);
    case WEFT_MAX:
        return weft_launch<T, weft_op_max>(args, blocks, stream);
    }
    return cudaErrorInvalidValue;
}

#endif
