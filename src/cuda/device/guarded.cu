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
 * is 1 (done).  16-byte vectors where the two pointers are equally far
 * from a 16-byte boundary (bytes before and after), bytes otherwise; a
 * grid-stride loop, the grid sized by the caller (reduce.c).
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
    /* Pointers equally far from a 16-byte boundary: bytes up to it, then
     * vectors, then the tail.  Otherwise bytes throughout. */
    size_t head = bytes, nvec = 0;
    if ((((uintptr_t)dst ^ (uintptr_t)src) & 15) == 0) {
        head = (16 - ((uintptr_t)dst & 15)) & 15;
        head = head < bytes ? head : bytes;
        nvec = (bytes - head) / 16;
    }
    const size_t tail = head + nvec * 16;
    for (size_t i = tid; i < head; i += threads)
        dst[i] = src[i];
    uint4 *d = (uint4 *)(dst + head);
    const uint4 *s = (const uint4 *)(src + head);
    for (size_t i = tid; i < nvec; i += threads)
        d[i] = s[i];
    for (size_t i = tail + tid; i < bytes; i += threads)
        dst[i] = src[i];
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
