/*
 * reduce_int.cu - the reduction kernels of the integer datatypes.
 *
 * SUM, PROD and AVG run on the unsigned type of the datatype's width, for
 * signed data too (types.cuh says why); MIN and MAX on the real type.  So
 * int8 and uint8 share their SUM and PROD kernels, and so on: 18 kernels
 * for six datatypes.
 */
#include "cuda/device/reduce_kernel.cuh"

/* U: the unsigned type of the width, for SUM, PROD and AVG; T: the
 * datatype's own, for MIN and MAX. */
template <typename U, typename T>
static cudaError_t launch_integer(weft_op_t op, const weft__cuda_reduce_args_t *args,
                                  unsigned blocks, cudaStream_t stream)
{
    if (op == WEFT_MIN)
        return weft_launch<T, weft_op_min>(args, blocks, stream);
    if (op == WEFT_MAX)
        return weft_launch<T, weft_op_max>(args, blocks, stream);
    return weft_launch_op<U>(op, args, blocks, stream);
}

extern "C" cudaError_t weft__cuda_launch_reduce_int(weft_datatype_t dt, weft_op_t op,
                                                    const weft__cuda_reduce_args_t *args,
                                                    unsigned blocks, cudaStream_t stream)
{
    switch (dt) {
    case WEFT_INT8:
        return launch_integer<weft_u8, weft_i8>(op, args, blocks, stream);
    case WEFT_UINT8:
        return launch_integer<weft_u8, weft_u8>(op, args, blocks, stream);
    case WEFT_INT32:
        return launch_integer<weft_u32, weft_i32>(op, args, blocks, stream);
    case WEFT_UINT32:
        return launch_integer<weft_u32, weft_u32>(op, args, blocks, stream);
    case WEFT_INT64:
        return launch_integer<weft_u64, weft_i64>(op, args, blocks, stream);
    case WEFT_UINT64:
        return launch_integer<weft_u64, weft_u64>(op, args, blocks, stream);
    default:
        return cudaErrorInvalidValue;
    }
}
