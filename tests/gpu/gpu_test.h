/*
 * gpu_test.h - what the GPU tests and the kernel benchmark share: the skip
 * when there is no GPU, and a check for every CUDA call.
 *
 * Where the driver is missing or reports no GPU (CI, this project's
 * development machines) a test prints why and exits 77, which ctest
 * reports as skipped.  A CUDA call that fails on a real GPU is a test
 * failure: the call, the file and line and the runtime's message are
 * printed and the process exits 1 (the driver frees what it held).
 */
#ifndef WEFT_TESTS_GPU_TEST_H
#define WEFT_TESTS_GPU_TEST_H

#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>

#define GPU_SKIP 77

/* How many of a test's counts to run: all, or with WEFT_TEST_QUICK=1 all
 * but the last (the largest), for runs under compute-sanitizer,
 * which slows kernels and copies by one to two orders of magnitude. */
static inline size_t gpu_test_ncounts(size_t ncounts)
{
    const char *quick = getenv("WEFT_TEST_QUICK");
    return quick != NULL && atoi(quick) != 0 && ncounts > 1 ? ncounts - 1 : ncounts;
}

#define GPU_CHECK(call)                                                                            \
    do {                                                                                           \
        cudaError_t gpu_check_err_ = (call);                                                       \
        if (gpu_check_err_ != cudaSuccess) {                                                       \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,                     \
                    cudaGetErrorName(gpu_check_err_), cudaGetErrorString(gpu_check_err_));         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Exits GPU_SKIP with a message unless a GPU is usable; else makes device
 * (WEFT_TEST_DEVICE, default 0) current and prints its name. */
static inline int gpu_test_device_or_skip(const char *test)
{
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("%s: SKIPPED: no usable GPU (%s)\n", test,
               err != cudaSuccess ? cudaGetErrorString(err) : "the driver reports none");
        exit(GPU_SKIP);
    }
    const char *env = getenv("WEFT_TEST_DEVICE");
    int device = env != NULL ? atoi(env) : 0;
    if (device < 0 || device >= n) {
        fprintf(stderr, "%s: WEFT_TEST_DEVICE=%d, but there are %d GPUs\n", test, device, n);
        exit(1);
    }
    GPU_CHECK(cudaSetDevice(device));
    struct cudaDeviceProp prop;
    GPU_CHECK(cudaGetDeviceProperties(&prop, device));
    printf("%s: GPU %d: %s (sm_%d%d, %d SMs)\n", test, device, prop.name, prop.major, prop.minor,
           prop.multiProcessorCount);
    return device;
}

#endif
