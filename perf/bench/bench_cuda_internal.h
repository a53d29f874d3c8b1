/*
 * What the two files of the benchmarks' GPU side share (bench_cuda.c: the
 * GPU and its stream; bench_cuda_mem.c: device memory for the harness):
 * the rank's GPU, in the variant with CUDA or the one without, and how a
 * failed CUDA call is reported. Nothing outside perf/bench includes it.
 */
#ifndef WEFT_PERF_BENCH_CUDA_INTERNAL_H
#define WEFT_PERF_BENCH_CUDA_INTERNAL_H

#include "bench_cuda.h"

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime_api.h>

struct bench_cuda {
    int device;
    cudaStream_t stream;
    char name[256];
};

/* Logs what failed with CUDA's name and text for err, and clears CUDA's last
 * error so that the next call does not see it; returns -1. */
int bench_cuda_fail(const char *what, cudaError_t err);

#else /* built without CUDA: there is no GPU to open */

struct bench_cuda {
    int device;
    char name[8];
};

#endif

#endif
