/*
 * cuda_reduce.h - reductions on the GPU, for C callers.
 *
 * Same semantics as the CPU reducers (reduce/reduce.h), bit for bit:
 *  - integers: SUM and PROD wrap modulo 2^bits, MIN and MAX compare as the
 *    signed or unsigned type;
 *  - float32/float64: IEEE arithmetic in the type, round to nearest even,
 *    no fused multiply-add, subnormals kept; MIN/MAX return a if a < b
 *    (resp. a > b) else b, so a NaN in the later input wins;
 *  - float16/bfloat16: widened to float32, combined in float32 across all
 *    inputs, rounded to nearest even once at the end (the conversions are
 *    those of reduce/half.h, NaN handling included);
 *  - AVG reduces as SUM; weft__cuda_divide() is the division at the end;
 *  - inputs combine left to right: ((s0 op s1) op s2) ...; one input is a
 *    copy (cudaMemcpyAsync), which keeps signalling NaNs as they are.
 * One difference: a SUM or PROD that meets a NaN gives the GPU's canonical
 * NaN (0x7fffffff), where x86 keeps the NaN operand's payload.  reduce.h
 * leaves NaN payloads unspecified; the value is NaN on both.
 *
 * dst may be the same pointer as any input (in place); partial overlap is
 * not allowed.  Pointers are device or managed memory (or mapped pinned
 * host memory) reachable from the current device, aligned to the element
 * size; any alignment beyond that is handled (reduce_plan.h).  The work
 * is queued on stream and the call returns: errors that the launch
 * reports come back as WEFT_ERR_CUDA, faults during the kernel surface at
 * the next synchronisation.
 */
#ifndef WEFT_CUDA_CUDA_REDUCE_H
#define WEFT_CUDA_CUDA_REDUCE_H

#include "cuda/reduce_plan.h"

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>
#include <weft.h>

/* dst[i] = srcs[0][i] op ... op srcs[nsrcs-1][i] for i < count, one pass,
 * 1 <= nsrcs <= WEFT_CUDA_REDUCE_MAX_SRCS.  Returns WEFT_OK, or
 * WEFT_ERR_INVALID_ARGUMENT (naming the argument) / WEFT_ERR_CUDA, with
 * the message in weft_last_error(). */
weft_status_t weft__cuda_reduce(void *dst, const void *const *srcs, int nsrcs, size_t count,
                                weft_datatype_t dt, weft_op_t op, cudaStream_t stream);

/* The same, but the kernel does nothing unless *guard (mapped host
 * memory) is 1 when it runs (nsrcs >= 2): the direct path's reduce of
 * peers' buffers after a wait that may also end on failure. */
weft_status_t weft__cuda_reduce_guarded(void *dst, const void *const *srcs, int nsrcs,
                                        size_t count, weft_datatype_t dt, weft_op_t op,
                                        const volatile uint32_t *guard, cudaStream_t stream);

/* bytes from src to dst (device memory, any alignment), by a kernel that
 * copies nothing unless *guard is 1 when it runs. */
weft_status_t weft__cuda_guarded_copy(void *dst, const void *src, size_t bytes,
                                      const volatile uint32_t *guard, cudaStream_t stream);

/* dst[i] /= divisor, as weft__divide() does it: integers truncate like C,
 * float32/float64 divide in the type, float16/bfloat16 in float32 and
 * round to nearest even.  divisor 1 queues nothing; 0 is an error. */
weft_status_t weft__cuda_divide(void *dst, size_t count, weft_datatype_t dt, uint32_t divisor,
                                cudaStream_t stream);

#endif
