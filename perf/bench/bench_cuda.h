/*
 * A rank's GPU for the benchmarks that measure device memory (weft-perf -m
 * device, nccl-perf): which GPU a rank uses, the stream its collectives run
 * on, and the bench_mem_t through which the harness fills and checks its
 * cudaMalloc'ed buffers.
 *
 * The header names no CUDA type, so that the tools compile without CUDA's
 * headers; bench_cuda.c and bench_cuda_mem.c have a variant for builds
 * without CUDA in which bench_cuda_gpus() finds none and the rest fails
 * with that reason.
 */
#ifndef WEFT_PERF_BENCH_CUDA_H
#define WEFT_PERF_BENCH_CUDA_H

#include <stddef.h>

#include "bench.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_cuda bench_cuda_t;

/* 1 when this build has CUDA. */
int bench_cuda_built(void);

/* The number of GPUs this process can use; 0 when there is none, no driver,
 * or no CUDA in this build, with the reason in why. */
int bench_cuda_gpus(char *why, size_t len);

/* The rank's place on its node that a launcher gave this process
 * (OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID, LOCAL_RANK, MPI_LOCALRANKID),
 * or 0 when none did. */
int bench_cuda_local_rank(void);

/* Makes GPU device current in the calling thread (the rank's thread: the
 * device is per thread) and creates the rank's stream on it. Returns 0, or
 * -1 after logging why. */
int bench_cuda_open(int device, bench_cuda_t **gpu_p);
void bench_cuda_close(bench_cuda_t *gpu);

/* The rank's cudaStream_t. */
void *bench_cuda_stream(const bench_cuda_t *gpu);
int bench_cuda_device(const bench_cuda_t *gpu);
/* cudaDeviceProp.name. */
const char *bench_cuda_name(const bench_cuda_t *gpu);

/* The GPU's memory for bench_comm_t.mem; gpu must outlive it. */
void bench_cuda_mem(bench_cuda_t *gpu, bench_mem_t *mem_p);

/* Waits until everything queued on the rank's stream has completed. */
int bench_cuda_sync(bench_cuda_t *gpu);

/* Queues a device-to-device copy on the rank's stream. */
int bench_cuda_copy(bench_cuda_t *gpu, void *dst, const void *src, size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
