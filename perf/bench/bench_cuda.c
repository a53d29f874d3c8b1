/*
 * The GPU side of the benchmarks (bench_cuda.h): device selection and the
 * rank's stream. The device memory the harness fills and checks through
 * them is bench_cuda_mem.c.
 *
 * bench_cuda_open makes the GPU current in the calling thread (the rank's)
 * and creates the rank's stream, non-blocking: it does not wait for the
 * legacy default stream (bench_cuda_mem.c says what that means for the
 * harness's copies). Without CUDA this file builds a variant in which
 * bench_cuda_gpus() finds no GPU and everything past it fails with that
 * reason.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_cuda_internal.h"

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

int bench_cuda_fail(const char *what, cudaError_t err)
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

#else /* built without CUDA: there is no GPU to open, so nothing reaches the rest */

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

#endif

int bench_cuda_device(const bench_cuda_t *gpu)
{
    return gpu->device;
}

const char *bench_cuda_name(const bench_cuda_t *gpu)
{
    return gpu->name;
}

