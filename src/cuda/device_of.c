/*
 * device_of.c - which GPU a rank drives.
 *
 * As with NCCL, a communicator is bound to the CUDA device that is
 * current in the thread that creates it (weft_comm_init_all names one
 * per rank instead).  Where no GPU is usable the rank drives none (-1)
 * and serves host buffers; a device index given anyway (init_all's
 * devices) is still the rank's GPU in the topology, which is how a
 * topology file lets the cluster view be tested on a machine without one.
 */
#include "cuda/probe.h"
#include "util/log.h"

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

int weft__cuda_current_device(void)
{
#ifdef WEFT_HAVE_CUDA
    int device = -1;
    if (weft__cuda_probe() > 0 && cudaGetDevice(&device) == cudaSuccess)
        return device;
    cudaGetLastError();
#endif
    return -1;
}

weft_status_t weft__cuda_use_device(int device)
{
    int n = weft__cuda_probe();
    if (n == 0)
        return WEFT_OK; /* no GPU: the index is the rank's GPU in the topology only */
    if (device >= n)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "devices[rank] is %d, but this process sees %d GPU%s", device, n,
                           n == 1 ? "" : "s");
#ifdef WEFT_HAVE_CUDA
    cudaError_t err = cudaSetDevice(device);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return weft__error(WEFT_ERR_CUDA, "cudaSetDevice(%d): %s", device,
                           cudaGetErrorString(err));
    }
#endif
    return WEFT_OK;
}
