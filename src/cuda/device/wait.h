/*
 * wait.h - between stream.c and the wait kernel (wait.cu): the launch of
 * the one-thread kernel that holds a stream until the proxy has finished
 * a call.  C and C++ alike.
 */
#ifndef WEFT_CUDA_DEVICE_WAIT_H
#define WEFT_CUDA_DEVICE_WAIT_H

#include <cuda_runtime_api.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Queues the wait on stream: it returns once *flag is not 0, or when
 * *heartbeat has not changed for limit_ns (0: never), then writing 1 to
 * *gave_up.  heartbeat may be NULL.  All three are mapped host memory. */
cudaError_t weft__cuda_launch_wait(const volatile uint32_t *flag,
                                   const volatile uint32_t *heartbeat, volatile uint32_t *gave_up,
                                   uint64_t limit_ns, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
