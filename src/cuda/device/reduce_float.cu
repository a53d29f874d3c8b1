/*
 * reduce_float.cu - the reduction kernels of float32 and float64: IEEE
 * arithmetic in the type (types.cuh), 8 kernels.
 */
#include "cuda/device/reduce_kernel.cuh"

extern "C" cudaError_t weft__cuda_launch_reduce_float(weft_datatype_t dt, weft_op_t op,
                                                      const weft__cuda_reduce_args_t *args,
                                                      unsigned blocks, cudaStream_t stream)
{
    switch (dt) {
    case WEFT_FLOAT32:
        return weft_launch_op<weft_f32>(op, args, blocks, stream);
    case WEFT_FLOAT64:
        return weft_launch_op<weft_f64>(op, args, blocks, stream);
    default:
        return cudaErrorInvalidValue;
    }
}
