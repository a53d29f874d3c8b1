/*
 * wait.cu - the kernel that holds a stream while the proxy runs a call.
 *
 * One thread polls the call's flag in mapped pinned host memory with
 * volatile loads (each one crosses the bus: a plain load could be cached
 * or hoisted out of the loop).  It must end even when nobody will ever
 * set the flag -- a dead proxy, a process that lost its peers -- because
 * a kernel that never ends hangs the GPU for every process using it.  So
 * it also watches the proxy's heartbeat, a word the proxy bumps whenever
 * a call starts or completes, and gives up when the heartbeat has not
 * moved for limit_ns by the GPU's own clock (%globaltimer, nanoseconds),
 * writing gave_up so that the host can tell a timeout from a result.
 * Between polls it sleeps a microsecond: the loads go over PCIe, and the
 * kernel shares the GPU with the ranks' real work.
 */
#include "cuda/device/wait.h"

static __device__ __forceinline__ uint64_t global_timer_ns()
{
    uint64_t t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

__global__ void __launch_bounds__(1)
    weft_wait_kernel(const volatile uint32_t *flag, const volatile uint32_t *heartbeat,
                     volatile uint32_t *gave_up, uint64_t limit_ns)
{
    uint32_t beat = heartbeat != nullptr ? *heartbeat : 0;
    uint64_t since = global_timer_ns();
    for (;;) {
        if (*flag != 0)
            return;
        uint64_t now = global_timer_ns();
        if (heartbeat != nullptr && *heartbeat != beat) {
            beat = *heartbeat;
            since = now;
        }
        if (limit_ns != 0 && now - since >= limit_ns) {
            *gave_up = 1;
            __threadfence_system(); /* visible to the host before the stream goes on */
            return;
        }
        __nanosleep(1000);
    }
}

extern "C" cudaError_t weft__cuda_launch_wait(const volatile uint32_t *flag,
                                              const volatile uint32_t *heartbeat,
                                              volatile uint32_t *gave_up, uint64_t limit_ns,
                                              cudaStream_t stream)
{
    weft_wait_kernel<<<1, 1, 0, stream>>>(flag, heartbeat, gave_up, limit_ns);
    return cudaGetLastError();
}
