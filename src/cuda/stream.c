/*
 * stream.c - the CUDA side of a stream-ordered call (stream.h): the
 * copies, the two host functions, the wait kernel, pinned memory, and
 * the refusal of a stream that is capturing a graph.
 *
 * Graph capture is refused rather than recorded: a captured call would
 * replay its copies and wait kernel, but its host functions would hand
 * the proxy the same call again at every replay, out of issue order.
 */
#include "cuda/stream.h"
#include "util/log.h"

#include <stdio.h>

#ifdef WEFT_HAVE_CUDA
#include "cuda/device/wait.h"
#include "cuda/runtime.h"

weft_status_t weft__cuda_stream_usable(const char *fn, int device, void *stream)
{
    int old = -1;
    cudaError_t err = weft__cuda_enter(device, &old);
    enum cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    if (err == cudaSuccess)
        err = cudaStreamIsCapturing((cudaStream_t)stream, &capture);
    weft__cuda_leave(device, old);
    if (err != cudaSuccess) {
        char what[96];
        snprintf(what, sizeof(what), "%s: cudaStreamIsCapturing(stream)", fn);
        return weft__cuda_fail(err, what);
    }
    if (capture != cudaStreamCaptureStatusNone)
        return weft__error(WEFT_ERR_UNSUPPORTED,
                           "%s: the stream is capturing a CUDA graph (%s); weft cannot be "
                           "captured yet: call it outside the capture",
                           fn, capture == cudaStreamCaptureStatusActive ? "active" : "invalidated");
    return WEFT_OK;
}

weft_status_t weft__cuda_stage_in(int device, void *stream, const weft__cuda_copy_t *copies, int n)
{
    int old = -1;
    cudaError_t err = weft__cuda_enter(device, &old);
    for (int i = 0; i < n && err == cudaSuccess; i++) {
        if (copies[i].bytes > 0)
            err = cudaMemcpyAsync(copies[i].dst, copies[i].src, copies[i].bytes,
                                  cudaMemcpyDeviceToHost, (cudaStream_t)stream);
    }
    weft__cuda_leave(device, old);
    return err == cudaSuccess ? WEFT_OK
                              : weft__cuda_fail(err, "copying the inputs to pinned memory");
}

weft_status_t weft__cuda_wait_out(int device, void *stream, const weft__cuda_wait_out_t *out)
{
    cudaStream_t s = (cudaStream_t)stream;
    const char *what = "handing the call to the proxy (cudaLaunchHostFunc)";
    int old = -1;
    cudaError_t err = weft__cuda_enter(device, &old);
    if (err == cudaSuccess && out->ready != NULL)
        err = cudaLaunchHostFunc(s, out->ready, out->arg);
    if (err == cudaSuccess) {
        what = "launching the wait for the proxy";
        err = weft__cuda_launch_wait((const volatile uint32_t *)out->flag_dev,
                                     (const volatile uint32_t *)out->heartbeat_dev,
                                     (volatile uint32_t *)out->gave_up_dev, out->wait_limit_ns, s);
    }
    for (int i = 0; i < out->n_to_device && err == cudaSuccess; i++) {
        what = "copying the results from pinned memory";
        if (out->to_device[i].bytes > 0)
            err = cudaMemcpyAsync(out->to_device[i].dst, out->to_device[i].src,
                                  out->to_device[i].bytes, cudaMemcpyHostToDevice, s);
    }
    if (err == cudaSuccess) {
        what = "releasing the staging memory (cudaLaunchHostFunc)";
        err = cudaLaunchHostFunc(s, out->passed, out->arg);
    }
    weft__cuda_leave(device, old);
    return err == cudaSuccess ? WEFT_OK : weft__cuda_fail(err, what);
}

weft_status_t weft__cuda_host_fn(int device, void *stream, void (*fn)(void *arg), void *arg)
{
    int old = -1;
    cudaError_t err = weft__cuda_enter(device, &old);
    if (err == cudaSuccess)
        err = cudaLaunchHostFunc((cudaStream_t)stream, fn, arg);
    weft__cuda_leave(device, old);
    return err == cudaSuccess
               ? WEFT_OK
               : weft__cuda_fail(err, "handing the call to the proxy (cudaLaunchHostFunc)");
}

weft_status_t weft__cuda_host_alloc(int device, size_t bytes, void **host_p, void **dev_p)
{
    int old = -1;
    void *host = NULL, *dev = NULL;
    cudaError_t err = weft__cuda_enter(device, &old);
    if (err == cudaSuccess)
        err = cudaHostAlloc(&host, bytes, cudaHostAllocPortable | cudaHostAllocMapped);
    if (err == cudaSuccess) {
        err = cudaHostGetDevicePointer(&dev, host, 0);
        if (err != cudaSuccess)
            cudaFreeHost(host);
    }
    weft__cuda_leave(device, old);
    if (err != cudaSuccess) {
        char what[96];
        snprintf(what, sizeof(what), "%zu bytes of pinned staging memory", bytes);
        return weft__cuda_fail(err, what);
    }
    *host_p = host;
    *dev_p = dev;
    return WEFT_OK;
}

void weft__cuda_host_free(void *host)
{
    if (host != NULL && cudaFreeHost(host) != cudaSuccess)
        cudaGetLastError();
}

#else /* built without CUDA: no buffer is device memory, so nothing calls these */

static weft_status_t no_cuda(const char *what)
{
    return weft__error(WEFT_ERR_UNSUPPORTED, "%s: this build of weft has no CUDA support", what);
}

weft_status_t weft__cuda_stream_usable(const char *fn, int device, void *stream)
{
    return no_cuda(fn);
}

weft_status_t weft__cuda_stage_in(int device, void *stream, const weft__cuda_copy_t *copies, int n)
{
    return no_cuda("staging device buffers");
}

weft_status_t weft__cuda_wait_out(int device, void *stream, const weft__cuda_wait_out_t *out)
{
    return no_cuda("waiting on a stream");
}

weft_status_t weft__cuda_host_fn(int device, void *stream, void (*fn)(void *arg), void *arg)
{
    return no_cuda("a host function on a stream");
}

weft_status_t weft__cuda_host_alloc(int device, size_t bytes, void **host_p, void **dev_p)
{
    return no_cuda("pinned staging memory");
}

void weft__cuda_host_free(void *host)
{
    (void)host;
}
#endif
