/*
 * gpu_kernels.h - small kernels for the stream-ordering test, callable
 * from C (gpu_kernels.cu): one writes a rank's input, one checks an
 * all-reduce's output, one only takes time; each queued on a stream like
 * any other work.
 */
#ifndef WEFT_TESTS_GPU_KERNELS_H
#define WEFT_TESTS_GPU_KERNELS_H

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Holds stream for about ns nanoseconds (one thread spinning on the
 * GPU's clock): to make one stream arrive later than another. */
cudaError_t gpu_delay(uint64_t ns, cudaStream_t stream);

/* p[i] = base + i (int32, wrapping) for i < n. */
cudaError_t gpu_fill_ramp(int32_t *p, size_t n, int32_t base, cudaStream_t stream);

/* Counts into *errors the i < n where p[i] != base + scale * i. */
cudaError_t gpu_check_ramp(const int32_t *p, size_t n, int32_t base, int32_t scale,
                           unsigned *errors, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
