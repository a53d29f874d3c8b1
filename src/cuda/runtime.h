/*
 * runtime.h - what every file that calls the CUDA runtime needs: running
 * a few calls on a communicator's device and putting the caller's back,
 * and turning a cudaError_t into weft's error.  Only with WEFT_HAVE_CUDA.
 */
#ifndef WEFT_CUDA_RUNTIME_H
#define WEFT_CUDA_RUNTIME_H

#include "util/log.h"

#include <cuda_runtime_api.h>
#include <weft.h>

/* Makes device current for the caller's calls; *old_p gets the one to put
 * back (-1 if it could not be read). */
static inline cudaError_t weft__cuda_enter(int device, int *old_p)
{
    *old_p = -1;
    cudaError_t err = cudaGetDevice(old_p);
    if (err == cudaSuccess && *old_p != device)
        err = cudaSetDevice(device);
    return err;
}

static inline void weft__cuda_leave(int device, int old)
{
    if (old >= 0 && old != device)
        cudaSetDevice(old);
}

/* WEFT_ERR_CUDA saying what failed and how; clears the runtime's last
 * error, so that the application's next check does not see ours. */
static inline weft_status_t weft__cuda_fail(cudaError_t err, const char *what)
{
    cudaGetLastError();
    return weft__error(WEFT_ERR_CUDA, "%s: %s (%s)", what, cudaGetErrorName(err),
                       cudaGetErrorString(err));
}

#endif
