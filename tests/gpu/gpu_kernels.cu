/*
 * gpu_kernels.cu - the kernels of gpu_kernels.h.  Arithmetic is in
 * uint32 so that wrapping is defined; grid-stride loops over any n.
 */
#include "gpu_kernels.h"

static const unsigned THREADS = 256, BLOCKS = 256;

__global__ void fill_ramp(int32_t *p, size_t n, uint32_t base)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        p[i] = (int32_t)(base + (uint32_t)i);
}

__global__ void check_ramp(const int32_t *p, size_t n, uint32_t base, uint32_t scale,
                           unsigned *errors)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        if ((uint32_t)p[i] != base + scale * (uint32_t)i)
            atomicAdd(errors, 1u);
    }
}

__global__ void delay(uint64_t ns)
{
    uint64_t start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do {
        __nanosleep(1000);
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    } while (now - start < ns);
}

extern "C" cudaError_t gpu_delay(uint64_t ns, cudaStream_t stream)
{
    delay<<<1, 1, 0, stream>>>(ns);
    return cudaGetLastError();
}

extern "C" cudaError_t gpu_fill_ramp(int32_t *p, size_t n, int32_t base, cudaStream_t stream)
{
    fill_ramp<<<BLOCKS, THREADS, 0, stream>>>(p, n, (uint32_t)base);
    return cudaGetLastError();
}

extern "C" cudaError_t gpu_check_ramp(const int32_t *p, size_t n, int32_t base, int32_t scale,
                                      unsigned *errors, cudaStream_t stream)
{
    check_ramp<<<BLOCKS, THREADS, 0, stream>>>(p, n, (uint32_t)base, (uint32_t)scale, errors);
    return cudaGetLastError();
}
