/*
 * ptr_query.c - the runtime half of pointer classification (ptr.h): ask
 * cudaPointerGetAttributes and cudaStreamGetDevice, and put the answers in
 * the plain structs that ptr.c judges.
 *
 * Nothing is asked when the process has no GPU (the probe found none) or
 * weft was built without CUDA: every buffer is then host memory, and a
 * call costs no runtime call at all.
 */
#include "cuda/probe.h"
#include "cuda/ptr.h"
#include "util/log.h"

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

#ifdef WEFT_HAVE_CUDA
void weft__ptr_attrs_query(const void *ptr, weft__ptr_attrs_t *attrs_p)
{
    weft__ptr_attrs_t attrs = {WEFT_PTR_QUERY_NO_CUDA, 0, -1, NULL};
    if (ptr != NULL && weft__cuda_probe() > 0) {
        struct cudaPointerAttributes a;
        cudaError_t err = cudaPointerGetAttributes(&a, ptr);
        if (err == cudaSuccess) {
            attrs.query = WEFT_PTR_QUERY_OK;
            attrs.type = (int)a.type;
            attrs.device = a.device;
        } else {
            /* Runtimes before 11.0 answered InvalidValue for memory they
             * never saw, and left it as the thread's last error.  A child
             * forked after its parent initialised CUDA gets
             * InitializationError from every call: it can hold no device
             * memory, so its buffers are host memory. */
            cudaGetLastError();
            attrs.query = err == cudaErrorInvalidValue ? WEFT_PTR_QUERY_UNKNOWN
                          : err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver ||
                                  err == cudaErrorInitializationError
                              ? WEFT_PTR_QUERY_NO_CUDA
                              : WEFT_PTR_QUERY_FAILED;
            attrs.error_name = cudaGetErrorName(err);
        }
    }
    *attrs_p = attrs;
}

int weft__stream_device(void *stream)
{
    if (weft__cuda_probe() <= 0)
        return -1;
    int device = -1;
    if (cudaStreamGetDevice((cudaStream_t)stream, &device) != cudaSuccess) {
        cudaGetLastError();
        return -1;
    }
    return device;
}
#else
void weft__ptr_attrs_query(const void *ptr, weft__ptr_attrs_t *attrs_p)
{
    (void)ptr;
    *attrs_p = (weft__ptr_attrs_t){WEFT_PTR_QUERY_NO_CUDA, 0, -1, NULL};
}

int weft__stream_device(void *stream)
{
    (void)stream;
    return -1;
}
#endif

weft_status_t weft__mem_check_call(const char *fn, const void *sendbuf, const void *recvbuf,
                                   int comm_device, void *stream, weft__call_path_t *path_p)
{
    weft__buf_arg_t args[2] = {{.name = "sendbuf", .ptr = sendbuf},
                               {.name = "recvbuf", .ptr = recvbuf}};
    for (int i = 0; i < 2; i++)
        weft__ptr_attrs_query(args[i].ptr, &args[i].attrs);
    /* The stream matters only on the device path; asking costs a call,
     * and a host call's stream may be anything (it is refused later). */
    int stream_device = -1, any_device = 0;
    for (int i = 0; i < 2; i++) {
        const weft__ptr_attrs_t *a = &args[i].attrs;
        /* cudaMemoryTypeDevice (2) or cudaMemoryTypeManaged (3) */
        any_device |= a->query == WEFT_PTR_QUERY_OK && (a->type == 2 || a->type == 3);
    }
    if (any_device)
        stream_device = weft__stream_device(stream);
    char why[320];
    weft_status_t st =
        weft__mem_check_args(args, 2, comm_device, stream_device, path_p, why, sizeof(why));
    if (st != WEFT_OK)
        return weft__error(st, "%s: %s", fn, why);
    return WEFT_OK;
}
