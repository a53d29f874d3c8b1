/*
 * divide.cu - the end of AVG on the GPU: dst[i] /= divisor, element by
 * element, with the division of each type that the CPU uses
 * (reduce/divide.c; types.cuh spells it per type).  AVG is rare and the
 * division runs once per call over the result, so this is a plain
 * grid-stride loop with no vectors.
 */
#include "cuda/device/launch.h"
#include "cuda/device/types.cuh"

template <typename T>
__global__ void __launch_bounds__(WEFT_CUDA_REDUCE_THREADS)
    weft_divide_kernel(typename T::S *p, size_t count, uint32_t divisor)
{
    const size_t threads = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += threads)
        p[i] = T::divide(p[i], divisor);
}

template <typename T>
static cudaError_t launch_divide(void *dst, size_t count, uint32_t divisor, unsigned blocks,
                                 cudaStream_t stream)
{
    weft_divide_kernel<T>
        <<<blocks, WEFT_CUDA_REDUCE_THREADS, 0, stream>>>((typename T::S *)dst, count, divisor);
    return cudaGetLastError();
}

extern "C" cudaError_t weft__cuda_launch_divide(weft_datatype_t dt, void *dst, size_t count,
                                                uint32_t divisor, unsigned blocks,
                                                cudaStream_t stream)
{
    switch (dt) {
    case WEFT_INT8:
        return launch_divide<weft_i8>(dst, count, divisor, blocks, stream);
    case WEFT_UINT8:
        return launch_divide<weft_u8>(dst, count, divisor, blocks, stream);
    case WEFT_INT32:
        return launch_divide<weft_i32>(dst, count, divisor, blocks, stream);
    case WEFT_UINT32:
        return launch_divide<weft_u32>(dst, count, divisor, blocks, stream);
    case WEFT_INT64:
        return launch_divide<weft_i64>(dst, count, divisor, blocks, stream);
    case WEFT_UINT64:
        return launch_divide<weft_u64>(dst, count, divisor, blocks, stream);
    case WEFT_FLOAT16:
        return launch_divide<weft_f16>(dst, count, divisor, blocks, stream);
    case WEFT_BFLOAT16:
        return launch_divide<weft_bf16>(dst, count, divisor, blocks, stream);
    case WEFT_FLOAT32:
        return launch_divide<weft_f32>(dst, count, divisor, blocks, stream);
    case WEFT_FLOAT64:
        return launch_divide<weft_f64>(dst, count, divisor, blocks, stream);
    }
    return cudaErrorInvalidValue;
}
