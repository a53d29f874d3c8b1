/*
 * launch.h - between the C side of the GPU reductions (reduce.c: checks,
 * plan, errors) and the kernels (*.cu): the kernel arguments and the
 * launch functions, one per family of datatypes, each in its own .cu so
 * that the nvcc compilations run in parallel.  C and C++ alike.
 */
#ifndef WEFT_CUDA_DEVICE_LAUNCH_H
#define WEFT_CUDA_DEVICE_LAUNCH_H

#include "cuda/reduce_plan.h"

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Passed by value: one kernel parameter block (about 100 bytes). */
typedef struct {
    void *dst;
    const void *srcs[WEFT_CUDA_REDUCE_MAX_SRCS]; /* [nsrcs] used */
    int nsrcs;                                   /* 2..WEFT_CUDA_REDUCE_MAX_SRCS */
    size_t count;                                /* elements */
    size_t head;                                 /* scalar elements first */
    size_t nvec;                                 /* then 16-byte vectors; the rest is tail */
    const volatile uint32_t *guard;              /* if set: do nothing unless *guard == 1 */
} weft__cuda_reduce_args_t;

/* Queue the reduction kernel for dt and op (AVG as SUM) on stream; return
 * what the launch reported.  cudaErrorInvalidValue for a datatype that is
 * not the file's. */
cudaError_t weft__cuda_launch_reduce_int(weft_datatype_t dt, weft_op_t op,
                                         const weft__cuda_reduce_args_t *args, unsigned blocks,
                                         cudaStream_t stream);
cudaError_t weft__cuda_launch_reduce_float(weft_datatype_t dt, weft_op_t op,
                                           const weft__cuda_reduce_args_t *args, unsigned blocks,
                                           cudaStream_t stream);
cudaError_t weft__cuda_launch_reduce_half(weft_datatype_t dt, weft_op_t op,
                                          const weft__cuda_reduce_args_t *args, unsigned blocks,
                                          cudaStream_t stream);
cudaError_t weft__cuda_launch_divide(weft_datatype_t dt, void *dst, size_t count, uint32_t divisor,
                                     unsigned blocks, cudaStream_t stream);
/* guarded.cu: copies bytes from src to dst if *guard == 1 when it runs. */
cudaError_t weft__cuda_launch_guarded_copy(void *dst, const void *src, size_t bytes,
                                           const volatile uint32_t *guard, unsigned blocks,
                                           cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
