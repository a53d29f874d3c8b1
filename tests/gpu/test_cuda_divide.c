/*
 * test_cuda_divide.c - weft__cuda_divide (the end of AVG on the GPU)
 * against weft__divide, and the argument errors of both GPU entry points.
 *
 *  - every datatype x divisors 2, 3, 7, 1000003 x counts 0, 1, 7, 4099,
 *    2^20 + 5 x aligned and one element past a boundary: bit-identical to
 *    the CPU (NaN payloads aside, as for SUM), the bytes around untouched;
 *  - refused, with a message naming the argument, before anything is
 *    queued: 0 or 9 inputs, a NULL output or input, a pointer not aligned
 *    to its element, an unknown datatype or op, divisor 0.
 * Exits 77 (skipped) without a GPU.
 */
#include "cuda/cuda_reduce.h"
#include "gpu_test.h"
#include "reduce/reduce.h"
#include "reduce_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNT ((1u << 20) + 5)
#define PAD 64
#define REGION (MAX_COUNT + 2 * PAD)

static int failures;

static void divide_case(weft_datatype_t dt, uint8_t *dev, uint8_t *input, uint8_t *got,
                        uint8_t *want, size_t count, size_t offset, uint32_t divisor)
{
    size_t size = weft__dtype_size(dt), bytes = REGION * size;
    GPU_CHECK(cudaMemcpy(dev, input, bytes, cudaMemcpyHostToDevice));
    memcpy(want, input, bytes);
    weft__divide(want + offset * size, count, dt, divisor);
    weft_status_t st = weft__cuda_divide(dev + offset * size, count, dt, divisor, NULL);
    GPU_CHECK(cudaDeviceSynchronize());
    GPU_CHECK(cudaMemcpy(got, dev, bytes, cudaMemcpyDeviceToHost));
    size_t bad = st == WEFT_OK ? reduce_data_compare(dt, WEFT_AVG, got, want, REGION) : 0;
    if (st != WEFT_OK || bad < REGION) {
        char g[24], w[24];
        if (failures++ < 20)
            fprintf(stderr,
                    "FAIL divide %s count %zu offset %zu by %u: status %d; element %zu: "
                    "got %s, want %s\n",
                    weft__dtype_name(dt), count, offset, divisor, st, bad,
                    reduce_data_show(dt, got, bad, g), reduce_data_show(dt, want, bad, w));
    }
}

static void test_divide(void)
{
    static const size_t counts[] = {0, 1, 7, 4099, MAX_COUNT};
    static const uint32_t divisors[] = {2, 3, 7, 1000003};
    size_t max_bytes = (size_t)REGION * 8;
    uint8_t *dev = NULL, *input = malloc(max_bytes), *got = malloc(max_bytes),
            *want = malloc(max_bytes);
    GPU_CHECK(cudaMalloc((void **)&dev, max_bytes));
    if (input == NULL || got == NULL || want == NULL) {
        fprintf(stderr, "test_cuda_divide: out of host memory\n");
        exit(1);
    }
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++) {
        reduce_data_fill((weft_datatype_t)dt, 0, input, REGION);
        for (size_t c = 0; c < gpu_test_ncounts(sizeof(counts) / sizeof(counts[0])); c++)
            for (size_t d = 0; d < sizeof(divisors) / sizeof(divisors[0]); d++)
                for (size_t offset = PAD; offset <= PAD + 1; offset++)
                    divide_case((weft_datatype_t)dt, dev, input, got, want, counts[c], offset,
                                divisors[d]);
    }
    GPU_CHECK(cudaFree(dev));
    free(input);
    free(got);
    free(want);
}

static void expect_refused(int line, weft_status_t st, const char *need)
{
    const char *msg = weft_last_error();
    if (st != WEFT_ERR_INVALID_ARGUMENT || msg == NULL || strstr(msg, need) == NULL) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d, message '%s' (wanted '%s')\n", line, st,
                msg ? msg : "", need);
    } else {
        printf("refused as expected: %s\n", msg);
    }
}

static void test_errors(void)
{
    float *dev = NULL;
    GPU_CHECK(cudaMalloc((void **)&dev, 4096));
    const void *srcs[9] = {dev, dev + 64, dev + 128, dev, dev, dev, dev, dev, dev};
    expect_refused(__LINE__, weft__cuda_reduce(dev, srcs, 0, 16, WEFT_FLOAT32, WEFT_SUM, NULL),
                   "0 inputs");
    expect_refused(__LINE__, weft__cuda_reduce(dev, srcs, 9, 16, WEFT_FLOAT32, WEFT_SUM, NULL),
                   "9 inputs");
    expect_refused(__LINE__, weft__cuda_reduce(NULL, srcs, 2, 16, WEFT_FLOAT32, WEFT_SUM, NULL),
                   "dst");
    srcs[1] = NULL;
    expect_refused(__LINE__, weft__cuda_reduce(dev, srcs, 2, 16, WEFT_FLOAT32, WEFT_SUM, NULL),
                   "srcs[1]");
    srcs[1] = (const char *)dev + 2; /* not aligned to a float */
    expect_refused(__LINE__, weft__cuda_reduce(dev, srcs, 2, 16, WEFT_FLOAT32, WEFT_SUM, NULL),
                   "srcs[1]");
    srcs[1] = dev + 64;
    expect_refused(__LINE__,
                   weft__cuda_reduce(dev, srcs, 2, 16, (weft_datatype_t)99, WEFT_SUM, NULL),
                   "datatype 99");
    expect_refused(__LINE__, weft__cuda_reduce(dev, srcs, 2, 16, WEFT_FLOAT32, (weft_op_t)9, NULL),
                   "op 9");
    expect_refused(__LINE__, weft__cuda_divide(dev, 16, WEFT_FLOAT32, 0, NULL), "divisor 0");
    expect_refused(__LINE__, weft__cuda_divide((char *)dev + 1, 16, WEFT_FLOAT32, 2, NULL),
                   "not aligned");
    /* A count of 0 queues nothing and checks nothing. */
    if (weft__cuda_reduce(NULL, NULL, 0, 0, WEFT_FLOAT32, WEFT_SUM, NULL) != WEFT_OK) {
        failures++;
        fprintf(stderr, "FAIL: a count of 0 was refused\n");
    }
    GPU_CHECK(cudaDeviceSynchronize());
    GPU_CHECK(cudaFree(dev));
}

int main(void)
{
    gpu_test_device_or_skip("test_cuda_divide");
    test_divide();
    test_errors();
    if (failures) {
        fprintf(stderr, "test_cuda_divide: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_divide: ok\n");
    return 0;
}
