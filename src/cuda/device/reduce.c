/*
 * reduce.c - weft__cuda_reduce() and weft__cuda_divide() (cuda_reduce.h):
 * argument checks, the plan, the launch, and the error a caller can read.
 *
 * The kernels live in the .cu files next to this one; everything that can
 * go wrong before a kernel runs is caught here, in C, with a message that
 * names the argument: a bad datatype or op, too many inputs, a NULL or
 * misaligned pointer.  One input is a stream-ordered copy, not a kernel.
 */
#include "cuda/cuda_reduce.h"
#include "cuda/device/launch.h"
#include "reduce/reduce.h"
#include "util/log.h"

#include <stdatomic.h>

/* Multiprocessors of the current device, looked up once per device. */
#define SM_CACHE_DEVICES 64
static _Atomic int sm_count_cache[SM_CACHE_DEVICES];

static int current_sm_count(void)
{
    int device = 0, n = 0;
    if (cudaGetDevice(&device) != cudaSuccess) {
        cudaGetLastError();
        return 0; /* the plan's default; the launch will report the real error */
    }
    if (device >= 0 && device < SM_CACHE_DEVICES) {
        n = atomic_load_explicit(&sm_count_cache[device], memory_order_relaxed);
        if (n > 0)
            return n;
    }
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    if (device >= 0 && device < SM_CACHE_DEVICES)
        atomic_store_explicit(&sm_count_cache[device], n, memory_order_relaxed);
    return n;
}

static weft_status_t check_args(void *dst, const void *const *srcs, int nsrcs, weft_datatype_t dt,
                                weft_op_t op)
{
    if (!weft__dtype_valid((int)dt))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft__cuda_reduce: datatype %d", (int)dt);
    if (!weft__op_valid((int)op))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft__cuda_reduce: op %d", (int)op);
    if (nsrcs < 1 || nsrcs > WEFT_CUDA_REDUCE_MAX_SRCS || srcs == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "weft__cuda_reduce: %d inputs (1 to %d in one pass)", nsrcs,
                           WEFT_CUDA_REDUCE_MAX_SRCS);
    if (dst == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft__cuda_reduce: dst is NULL");
    for (int s = 0; s < nsrcs; s++) {
        if (srcs[s] == NULL)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft__cuda_reduce: srcs[%d] is NULL", s);
    }
    return WEFT_OK;
}

static cudaError_t launch(weft_datatype_t dt, weft_op_t op, const weft__cuda_reduce_args_t *args,
                          unsigned blocks, cudaStream_t stream)
{
    switch (dt) {
    case WEFT_FLOAT16:
    case WEFT_BFLOAT16:
        return weft__cuda_launch_reduce_half(dt, op, args, blocks, stream);
    case WEFT_FLOAT32:
    case WEFT_FLOAT64:
        return weft__cuda_launch_reduce_float(dt, op, args, blocks, stream);
    default:
        return weft__cuda_launch_reduce_int(dt, op, args, blocks, stream);
    }
}

weft_status_t weft__cuda_reduce(void *dst, const void *const *srcs, int nsrcs, size_t count,
                                weft_datatype_t dt, weft_op_t op, cudaStream_t stream)
{
    return weft__cuda_reduce_guarded(dst, srcs, nsrcs, count, dt, op, NULL, stream);
}

weft_status_t weft__cuda_reduce_guarded(void *dst, const void *const *srcs, int nsrcs,
                                        size_t count, weft_datatype_t dt, weft_op_t op,
                                        const volatile uint32_t *guard, cudaStream_t stream)
{
    if (count == 0)
        return WEFT_OK;
    weft_status_t st = check_args(dst, srcs, nsrcs, dt, op);
    if (st != WEFT_OK)
        return st;
    if (guard != NULL && nsrcs < 2) /* one input is a cudaMemcpyAsync: it cannot look */
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "weft__cuda_reduce_guarded: %d input (2 or more with a guard)", nsrcs);
    size_t size = weft__dtype_size(dt);
    weft__cuda_reduce_plan_t plan;
    char why[160];
    st = weft__cuda_reduce_plan(dst, srcs, nsrcs, count, size, current_sm_count(), &plan, why,
                                sizeof(why));
    if (st != WEFT_OK)
        return weft__error(st, "weft__cuda_reduce: %s", why);
    cudaError_t err = cudaSuccess;
    if (nsrcs == 1) {
        if (dst != srcs[0])
            err = cudaMemcpyAsync(dst, srcs[0], count * size, cudaMemcpyDefault, stream);
    } else {
        weft__cuda_reduce_args_t args = {.dst = dst,
                                         .nsrcs = nsrcs,
                                         .count = count,
                                         .head = plan.head,
                                         .nvec = plan.nvec,
                                         .guard = guard};
        for (int s = 0; s < nsrcs; s++)
            args.srcs[s] = srcs[s];
        err = launch(dt, op, &args, plan.blocks, stream);
    }
    if (err != cudaSuccess) {
        cudaGetLastError();
        return weft__error(WEFT_ERR_CUDA,
                           "weft__cuda_reduce(%s %s, %d inputs, %zu elements): %s: %s",
                           weft__dtype_name(dt), weft__op_name(op), nsrcs, count,
                           cudaGetErrorName(err), cudaGetErrorString(err));
    }
    return WEFT_OK;
}

weft_status_t weft__cuda_guarded_copy(void *dst, const void *src, size_t bytes,
                                      const volatile uint32_t *guard, cudaStream_t stream)
{
    if (bytes == 0)
        return WEFT_OK;
    if (dst == NULL || src == NULL || guard == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "weft__cuda_guarded_copy: dst %p, src %p, guard %p", dst, src,
                           (const void *)guard);
    /* 256-thread blocks (guarded.cu), one 16-byte vector per thread per
     * round, up to 8 blocks per multiprocessor. */
    int sms = current_sm_count();
    size_t want = (bytes / 16 + 255) / 256, most = (size_t)(sms > 0 ? sms : 132) * 8;
    unsigned blocks = (unsigned)(want < 1 ? 1 : want < most ? want : most);
    cudaError_t err = weft__cuda_launch_guarded_copy(dst, src, bytes, guard, blocks, stream);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return weft__error(WEFT_ERR_CUDA, "weft__cuda_guarded_copy(%zu bytes): %s: %s", bytes,
                           cudaGetErrorName(err), cudaGetErrorString(err));
    }
    return WEFT_OK;
}

weft_status_t weft__cuda_divide(void *dst, size_t count, weft_datatype_t dt, uint32_t divisor,
                                cudaStream_t stream)
{
    if (count == 0 || divisor == 1)
        return WEFT_OK;
    if (!weft__dtype_valid((int)dt) || divisor == 0 || dst == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "weft__cuda_divide: datatype %d, divisor %u, dst %p", (int)dt, divisor,
                           dst);
    size_t size = weft__dtype_size(dt);
    if ((uintptr_t)dst % size != 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "weft__cuda_divide: dst %p is not aligned to its %zu-byte elements", dst,
                           size);
    unsigned blocks = weft__cuda_grid_blocks(count, current_sm_count());
    cudaError_t err = weft__cuda_launch_divide(dt, dst, count, divisor, blocks, stream);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return weft__error(WEFT_ERR_CUDA, "weft__cuda_divide(%s, %zu elements): %s: %s",
                           weft__dtype_name(dt), count, cudaGetErrorName(err),
                           cudaGetErrorString(err));
    }
    return WEFT_OK;
}
