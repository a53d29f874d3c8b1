/*
 * guarded.cu - a device-to-device copy that happens only if a flag says
 * so when it runs.
 *
 * The direct path (core/direct.h) copies a rank's input into the buffer
 * its peers read, after a wait on the proxy's barrier.  The wait also
 * returns when the call failed or at its deadline, and the stream goes
 * on; a plain copy would then overwrite the buffer while a peer may still
 * be reducing an earlier round from it.  Each block reads the flag once
 * (a volatile load of mapped host memory) and copies nothing unless it
 * is 1 (done).  16-byte vectors where both pointers and the size allow,
 * bytes otherwise; a grid-stride loop.
 */
#include "cuda/device/launch.h"

#define GUARDED_COPY_THREADS 256

__global__ void __launch_bounds__(GUARDED_COPY_THREADS)
    weft_guarded_copy_kernel(uint8_t *dst, const uint8_t *src, size_t bytes,
                             const volatile uint32_t *guard)
{
    __shared__ int go;
    if (threadIdx.x == 0)
        go = *guard == 1;
    __syncthreads();
    if (!go)
        return;
    const size_t threads = (size_t)gridDim.x * blockDim.x;
    const size_t tid = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if ((((uintptr_t)dst | (uintptr_t)src | bytes) & 15) == 0) {
        uint4 *d = (uint4 *)dst;
        const uint4 *s = (const uint4 *)src;
        for (size_t i = tid; i < bytes / 16; i += threads)
            d[i] = s[i];
    } else {
        for (size_t i = tid; i < bytes; i += threads)
            dst[i] = src[i];
    }
}

extern "C" cudaError_t weft__cuda_launch_guarded_copy(void *dst, const void *src, size_t bytes,
                                                      const volatile uint32_t *guard,
                                                      unsigned blocks, cudaStream_t stream)
{
    if (bytes == 0)
        return cudaSuccess;
    weft_guarded_copy_kernel<<<blocks, GUARDED_COPY_THREADS, 0, stream>>>(
        (uint8_t *)dst, (const uint8_t *)src, bytes, guard);
    return cudaGetLastError();
}
