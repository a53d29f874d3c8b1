/*
 * The GPU side of the benchmarks (bench_cuda.h): device selection, the
 * rank's stream, and device memory for the harness.
 *
 * Everything the harness does to device memory -- zeroing, poisoning,
 * uploading the input, downloading the output -- is queued on the rank's
 * own stream and waited for before the call returns: the stream is
 * non-blocking (it does not wait for the legacy default stream), so a
 * plain cudaMemcpy would not be ordered with the collectives queued on it.
 * None of this is inside a timed loop.
 */
#include "bench_cuda.h"

#include <stdio.h>
#include <stdlib.h>

/* The first launcher variable set, in the order of how specific it is. */
int bench_cuda_local_rank(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "LOCAL_RANK",
                                        "MPI_LOCALRANKID"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *value = getenv(names[i]);
        if (value != NULL && *value != '\0')
            return atoi(value) >= 0 ? atoi(value) : 0;
    }
    return 0;
}

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime_api.h>

struct bench_cuda {
    int device;
    cudaStream_t stream;
    char name[256];
};

static int bench_cuda_fail(const char *what, cudaError_t err)
{
    cudaGetLastError(); /* clear it: the next call must not see it */
    fprintf(stderr, "error: %s: %s (%s)\n", what, cudaGetErrorName(err), cudaGetErrorString(err));
    return -1;
}

int bench_cuda_built(void)
{
    return 1;
}

int bench_cuda_gpus(char *why, size_t len)
{
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);

    if (err != cudaSuccess) {
        snprintf(why, len, "cudaGetDeviceCount: %s", cudaGetErrorString(err));
        cudaGetLastError();
        return 0;
    }
    if (n == 0)
        snprintf(why, len, "the CUDA driver reports no GPU");
    return n;
}

int bench_cuda_open(int device, bench_cuda_t **gpu_p)
{
    struct cudaDeviceProp prop;
    bench_cuda_t *gpu = calloc(1, sizeof(*gpu));
    cudaError_t err;

    if (gpu == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return -1;
    }
    gpu->device = device;
    err = cudaSetDevice(device);
    if (err == cudaSuccess)
        err = cudaGetDeviceProperties(&prop, device);
    if (err != cudaSuccess) {
        free(gpu);
        return bench_cuda_fail("cudaSetDevice/cudaGetDeviceProperties", err);
    }
    snprintf(gpu->name, sizeof(gpu->name), "%s", prop.name);
    err = cudaStreamCreateWithFlags(&gpu->stream, cudaStreamNonBlocking);
    if (err != cudaSuccess) {
        free(gpu);
        return bench_cuda_fail("cudaStreamCreateWithFlags", err);
    }
    *gpu_p = gpu;
    return 0;
}

void bench_cuda_close(bench_cuda_t *gpu)
{
    if (gpu == NULL)
        return;
    cudaStreamDestroy(gpu->stream);
    free(gpu);
}

void *bench_cuda_stream(const bench_cuda_t *gpu)
{
    return (void *)gpu->stream;
}

int bench_cuda_sync(bench_cuda_t *gpu)
{
    cudaError_t err = cudaStreamSynchronize(gpu->stream);
    return err == cudaSuccess ? 0 : bench_cuda_fail("cudaStreamSynchronize", err);
}

int bench_cuda_copy(bench_cuda_t *gpu, void *dst, const void *src, size_t bytes)
{
    cudaError_t err = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, gpu->stream);
    return err == cudaSuccess ? 0 : bench_cuda_fail("cudaMemcpyAsync (device to device)", err);
}

/* --- bench_mem_t over cudaMalloc'ed memory --------------------------------- */

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

#else /* built without CUDA: there is no GPU to open, so nothing reaches the rest */

struct bench_cuda {
    int device;
    char name[8];
};

static const char bench_cuda_none[] = "this build has no CUDA (configure with -DWEFT_CUDA=ON)";

int bench_cuda_built(void)
{
    return 0;
}

int bench_cuda_gpus(char *why, size_t len)
{
    snprintf(why, len, "%s", bench_cuda_none);
    return 0;
}

int bench_cuda_open(int device, bench_cuda_t **gpu_p)
{
    fprintf(stderr, "error: %s\n", bench_cuda_none);
    return -1;
}

void bench_cuda_close(bench_cuda_t *gpu) {}
void *bench_cuda_stream(const bench_cuda_t *gpu)
{
    return NULL;
}
int bench_cuda_sync(bench_cuda_t *gpu)
{
    return -1;
}
int bench_cuda_copy(bench_cuda_t *gpu, void *dst, const void *src, size_t bytes)
{
    return -1;
}
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

int bench_cuda_device(const bench_cuda_t *gpu)
{
    return gpu->device;
}

const char *bench_cuda_name(const bench_cuda_t *gpu)
{
    return gpu->name;
}

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
