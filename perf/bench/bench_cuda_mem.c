/*
 * Device memory for the harness (bench_cuda_mem(): a bench_mem_t over
 * cudaMalloc'ed buffers on the rank's GPU).
 *
 * Everything the harness does to device memory -- zeroing, poisoning,
 * uploading the input, downloading the output -- is queued on the rank's
 * own stream and waited for before the call returns: the stream is
 * non-blocking (it does not wait for the legacy default stream), so a
 * plain cudaMemcpy would not be ordered with the collectives queued on it.
 * None of this is inside a timed loop.
 */
#include <stdio.h>

#include "bench_cuda_internal.h"

#ifdef WEFT_HAVE_CUDA

static int bench_cuda_alloc(void *ctx, size_t bytes, void **ptr_p)
{
    cudaError_t err = cudaMalloc(ptr_p, bytes);
    if (err != cudaSuccess) {
        fprintf(stderr, "error: cudaMalloc of %zu bytes: %s\n", bytes, cudaGetErrorString(err));
        cudaGetLastError();
        return -1;
    }
    return 0;
}

static void bench_cuda_release(void *ctx, void *ptr)
{
    cudaFree(ptr);
}

/* Queued on the stream, then waited for: see the file's comment. */
static int bench_cuda_finish(bench_cuda_t *gpu, cudaError_t err, const char *what)
{
    if (err == cudaSuccess)
        err = cudaStreamSynchronize(gpu->stream);
    return err == cudaSuccess ? 0 : bench_cuda_fail(what, err);
}

static int bench_cuda_set_bytes(void *ctx, void *dst, int byte, size_t bytes)
{
    bench_cuda_t *gpu = ctx;
    return bench_cuda_finish(gpu, cudaMemsetAsync(dst, byte, bytes, gpu->stream),
                             "cudaMemsetAsync");
}

static int bench_cuda_upload(void *ctx, void *dst, const void *host_src, size_t bytes)
{
    bench_cuda_t *gpu = ctx;
    return bench_cuda_finish(
        gpu, cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, gpu->stream),
        "cudaMemcpyAsync (the input, host to device)");
}

static int bench_cuda_download(void *ctx, void *host_dst, const void *src, size_t bytes)
{
    bench_cuda_t *gpu = ctx;
    return bench_cuda_finish(
        gpu, cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, gpu->stream),
        "cudaMemcpyAsync (the output, device to host)");
}

#else /* built without CUDA: bench_cuda_open fails, so nothing reaches these */

static int bench_cuda_alloc(void *ctx, size_t bytes, void **ptr_p)
{
    return -1;
}
static void bench_cuda_release(void *ctx, void *ptr) {}
static int bench_cuda_set_bytes(void *ctx, void *dst, int byte, size_t bytes)
{
    return -1;
}
static int bench_cuda_upload(void *ctx, void *dst, const void *host_src, size_t bytes)
{
    return -1;
}
static int bench_cuda_download(void *ctx, void *host_dst, const void *src, size_t bytes)
{
    return -1;
}

#endif

void bench_cuda_mem(bench_cuda_t *gpu, bench_mem_t *mem_p)
{
    *mem_p = (bench_mem_t){.name = "device memory",
                           .ctx = gpu,
                           .alloc = bench_cuda_alloc,
                           .release = bench_cuda_release,
                           .set_bytes = bench_cuda_set_bytes,
                           .upload = bench_cuda_upload,
                           .download = bench_cuda_download};
}
