/*
 * probe.c - once per process: is there a driver and a GPU?
 *
 * cudaGetDeviceCount() is the cheapest call that loads the driver: with
 * the static runtime and no libcuda.so it fails with
 * cudaErrorInsufficientDriver, with a driver and no GPU with
 * cudaErrorNoDevice.  It creates no context, so it costs no GPU memory
 * and does not pick a device for the caller.
 *
 * A process that initialised CUDA and then forks cannot use CUDA in the
 * child.  The child inherits the parent's answer (the probe ran once, in
 * the parent), but every CUDA call it makes fails with
 * cudaErrorInitializationError, which pointer classification
 * (ptr_query.c) takes for "no CUDA": the child runs host-only.
 */
#include "cuda/probe.h"
#include "util/log.h"

#include <pthread.h>

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probed_devices;

#ifdef WEFT_HAVE_CUDA
static void probe_runtime(void)
{
    int runtime = 0, driver = 0, n = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        cudaGetLastError(); /* not sticky, but leave nothing behind */
        /* "Insufficient driver" is also what no driver at all looks like
         * to the static runtime: say both. */
        WEFT_INFO("CUDA: built with runtime %d.%d, but no usable GPU here (%s: %s%s): host "
                  "buffers only",
                  runtime / 1000, runtime % 1000 / 10, cudaGetErrorName(err),
                  cudaGetErrorString(err),
                  err == cudaErrorInsufficientDriver ? "; or no NVIDIA driver installed" : "");
        return;
    }
    if (n <= 0) {
        WEFT_INFO("CUDA: the driver reports no GPU: host buffers only");
        return;
    }
    cudaDriverGetVersion(&driver);
    WEFT_INFO("CUDA: %d GPU%s, runtime %d.%d, driver %d.%d", n, n == 1 ? "" : "s", runtime / 1000,
              runtime % 1000 / 10, driver / 1000, driver % 1000 / 10);
    probed_devices = n;
}
#else
static void probe_runtime(void)
{
    WEFT_INFO("CUDA: built without it (WEFT_CUDA=OFF): host buffers only");
}
#endif

int weft__cuda_probe(void)
{
    pthread_once(&probe_once, probe_runtime);
    return probed_devices;
}

int weft__cuda_built(void)
{
#ifdef WEFT_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}
