/*
 * ipc_mem.c - device buffers shared through CUDA IPC (ipc_mem.h).
 */
#include "cuda/ipc_mem.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

#ifdef WEFT_HAVE_CUDA
#include "cuda/runtime.h"

weft_status_t weft__cuda_ipc_alloc(int device, size_t bytes, void **dev_p,
                                   weft__cuda_ipc_entry_t *entry_p)
{
    int old = -1;
    void *dev = NULL;
    cudaIpcMemHandle_t handle;
    struct cudaDeviceProp prop;
    cudaError_t err = weft__cuda_enter(device, &old);
    const char *what = "cudaMalloc of the shared buffer";
    if (err == cudaSuccess)
        err = cudaMalloc(&dev, bytes);
    if (err == cudaSuccess) {
        what = "cudaIpcGetMemHandle";
        err = cudaIpcGetMemHandle(&handle, dev);
    }
    if (err == cudaSuccess) {
        what = "cudaGetDeviceProperties";
        err = cudaGetDeviceProperties(&prop, device);
    }
    if (err != cudaSuccess && dev != NULL)
        cudaFree(dev);
    weft__cuda_leave(device, old);
    if (err != cudaSuccess)
        return weft__cuda_fail(err, what);
    memset(entry_p, 0, sizeof(*entry_p));
    memcpy(entry_p->handle, &handle, WEFT_CUDA_IPC_HANDLE_BYTES);
    entry_p->size = bytes;
    entry_p->device = (uint32_t)device;
    memcpy(entry_p->uuid, &prop.uuid, WEFT_CUDA_UUID_BYTES);
    *dev_p = dev;
    return WEFT_OK;
}

void weft__cuda_ipc_free(int device, void *dev)
{
    int old = -1;
    if (dev != NULL && weft__cuda_enter(device, &old) == cudaSuccess)
        cudaFree(dev);
    weft__cuda_leave(device, old);
    cudaGetLastError();
}

/* This process's index of the GPU with `uuid`, or -1. */
static int device_of_uuid(const uint8_t *uuid)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess)
        return -1;
    for (int d = 0; d < n; d++) {
        struct cudaDeviceProp prop;
        if (cudaGetDeviceProperties(&prop, d) == cudaSuccess &&
            memcmp(&prop.uuid, uuid, WEFT_CUDA_UUID_BYTES) == 0)
            return d;
    }
    return -1;
}

/* For a buffer of this process on the GPU with `uuid`: WEFT_OK once
 * `device` (current) can read it -- the same GPU, or peer access enabled
 * (a kernel reading another GPU's memory without it faults). */
static weft_status_t reachable(int device, const uint8_t *uuid)
{
    int peer = device_of_uuid(uuid), can = 0;
    if (peer == device)
        return WEFT_OK;
    if (peer < 0)
        return weft__error(WEFT_ERR_UNSUPPORTED, "a peer's GPU is not visible to this process");
    cudaError_t err = cudaDeviceCanAccessPeer(&can, device, peer);
    if (err != cudaSuccess)
        return weft__cuda_fail(err, "cudaDeviceCanAccessPeer");
    if (!can)
        return weft__error(WEFT_ERR_UNSUPPORTED, "GPU %d cannot access GPU %d (no P2P)", device,
                           peer);
    err = cudaDeviceEnablePeerAccess(peer, 0);
    if (err == cudaErrorPeerAccessAlreadyEnabled) {
        cudaGetLastError();
        err = cudaSuccess;
    }
    return err == cudaSuccess ? WEFT_OK : weft__cuda_fail(err, "cudaDeviceEnablePeerAccess");
}

weft_status_t weft__cuda_ipc_open(int device, const weft__cuda_ipc_entry_t *entry,
                                  int same_process, void *owner_ptr, void **ptr_p,
                                  int *opened_p)
{
    int old = -1;
    *opened_p = 0;
    cudaError_t err = weft__cuda_enter(device, &old);
    if (err != cudaSuccess) {
        weft__cuda_leave(device, old);
        return weft__cuda_fail(err, "cudaSetDevice");
    }
    /* Another process's buffer: cudaIpcOpenMemHandle enables peer access
     * itself, and opens handles of GPUs this process does not see. */
    weft_status_t st = same_process ? reachable(device, entry->uuid) : WEFT_OK;
    if (st == WEFT_OK && same_process) {
        *ptr_p = (uint8_t *)owner_ptr + entry->offset;
    } else if (st == WEFT_OK) {
        cudaIpcMemHandle_t handle;
        void *base = NULL;
        memcpy(&handle, entry->handle, WEFT_CUDA_IPC_HANDLE_BYTES);
        err = cudaIpcOpenMemHandle(&base, handle, cudaIpcMemLazyEnablePeerAccess);
        if (err == cudaSuccess) {
            *ptr_p = (uint8_t *)base + entry->offset;
            *opened_p = 1;
        } else {
            st = weft__cuda_fail(err, "cudaIpcOpenMemHandle of a peer's shared buffer");
        }
    }
    weft__cuda_leave(device, old);
    return st;
}

void weft__cuda_ipc_close(int device, void *ptr)
{
    int old = -1;
    if (ptr != NULL && weft__cuda_enter(device, &old) == cudaSuccess)
        cudaIpcCloseMemHandle(ptr);
    weft__cuda_leave(device, old);
    cudaGetLastError();
}

#else /* built without CUDA: the direct path is never enabled */

static weft_status_t no_cuda(const char *what)
{
    return weft__error(WEFT_ERR_UNSUPPORTED, "%s: weft was built without CUDA", what);
}

weft_status_t weft__cuda_ipc_alloc(int device, size_t bytes, void **dev_p,
                                   weft__cuda_ipc_entry_t *entry_p)
{
    (void)device, (void)bytes, (void)dev_p, (void)entry_p;
    return no_cuda("a shared device buffer");
}

void weft__cuda_ipc_free(int device, void *dev)
{
    (void)device, (void)dev;
}

weft_status_t weft__cuda_ipc_open(int device, const weft__cuda_ipc_entry_t *entry,
                                  int same_process, void *owner_ptr, void **ptr_p,
                                  int *opened_p)
{
    (void)device, (void)entry, (void)same_process, (void)owner_ptr, (void)ptr_p;
    *opened_p = 0;
    return no_cuda("a peer's shared device buffer");
}

void weft__cuda_ipc_close(int device, void *ptr)
{
    (void)device, (void)ptr;
}

#endif
