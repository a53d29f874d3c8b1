/*
 * reduce_half.cu - the reduction kernels of float16 and bfloat16: each
 * input widened to float32, folded in float32, rounded once (half.cuh has
 * the conversions, identical to the CPU's), 8 kernels.
 */
#include "cuda/device/reduce_kernel.cuh"

extern "C" cudaError_t weft__cuda_launch_reduce_half(weft_datatype_t dt, weft_op_t op,
                                                     const weft__cuda_reduce_args_t *args,
                                                     unsigned blocks, cudaStream_t stream)
{
    switch (dt) {
    case WEFT_FLOAT16:
        return weft_launch_op<weft_f16>(op, args, blocks, stream);
    case WEFT_BFLOAT16:
        return weft_launch_op<weft_bf16>(op, args, blocks, stream);
    default:
        return cudaErrorInvalidValue;
    }
}
