/*
 * test_cuda_reduce.c - the GPU reduction kernels (src/cuda/cuda_reduce.h)
 * against the CPU reducers, which are the reference: every datatype x op
 * x 1, 2, 3 and 8 inputs x counts 0, 1, 7, 4099 and 2^20 + 5 x three
 * placements (all buffers 16-byte aligned; all one element past a
 * boundary, so head, vectors and tail; each buffer at its own offset, so
 * the scalar path) x out of place, in place on the first input and in
 * place on the last.  Results must be bit-identical to weft__reduce_multi
 * (NaN payloads of SUM/PROD aside, reduce_data.h), and the bytes either
 * side of the output untouched.  (test_cuda_divide.c has the division
 * and the argument errors.)
 *
 * Exits 77 (skipped) without a GPU; prints the device.  Every CUDA call
 * is checked; everything allocated is freed, so compute-sanitizer's leak
 * check can run it.
 */
#include "cuda/cuda_reduce.h"
#include "gpu_test.h"
#include "reduce/reduce.h"
#include "reduce_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNT ((1u << 20) + 5)
#define PAD 64 /* elements around every region: offsets and guards */
#define REGION (MAX_COUNT + 2 * PAD)
#define MAX_SRCS 8
#define CANARY 0xa5

static const int nsrcs_list[] = {1, 2, 3, 8};
static const size_t counts[] = {0, 1, 7, 4099, MAX_COUNT};

typedef struct {
    weft_datatype_t dt;
    size_t size;
    cudaStream_t stream;
    uint8_t *dev_in[MAX_SRCS], *dev_out; /* REGION elements each */
    uint8_t *host_in[MAX_SRCS];          /* what dev_in holds */
    uint8_t *host_out, *ref;             /* REGION elements */
    int failures;
} fixture_t;

/* Element offset of buffer b (0..MAX_SRCS-1 inputs, MAX_SRCS the output)
 * in placement p: 0 aligned, 1 lined up past a boundary, 2 each its own. */
static size_t placement_offset(int placement, int b, size_t size)
{
    if (placement == 0)
        return PAD;
    if (placement == 1)
        return PAD + 1;
    return PAD + (size_t)(b * 3 + 1) % (16 / size);
}

/* One case; alias -1 out of place, else the output is srcs[alias]. */
static void run_case(fixture_t *f, weft_op_t op, int nsrcs, size_t count, int placement, int alias)
{
    const void *dev_srcs[MAX_SRCS], *host_srcs[MAX_SRCS];
    for (int s = 0; s < nsrcs; s++) {
        size_t off = placement_offset(placement, s, f->size) * f->size;
        dev_srcs[s] = f->dev_in[s] + off;
        host_srcs[s] = f->host_in[s] + off;
    }
    uint8_t *dev_region = alias < 0 ? f->dev_out : f->dev_in[alias];
    uint8_t *expect_region = f->ref;
    size_t dst_off = alias < 0 ? placement_offset(placement, MAX_SRCS, f->size) * f->size
                               : (size_t)((const uint8_t *)dev_srcs[alias] - dev_region);
    size_t bytes = REGION * f->size;
    /* Expected region: the canary or the input around the output, the
     * CPU's result inside it. */
    if (alias < 0) {
        memset(expect_region, CANARY, bytes);
        GPU_CHECK(cudaMemsetAsync(dev_region, CANARY, bytes, f->stream));
    } else {
        memcpy(expect_region, f->host_in[alias], bytes);
    }
    weft__reduce_multi(expect_region + dst_off, host_srcs, nsrcs, count, f->dt, op);
    weft_status_t st =
        weft__cuda_reduce(dev_region + dst_off, dev_srcs, nsrcs, count, f->dt, op, f->stream);
    GPU_CHECK(cudaStreamSynchronize(f->stream));
    GPU_CHECK(cudaMemcpy(f->host_out, dev_region, bytes, cudaMemcpyDeviceToHost));
    if (alias >= 0) /* put the input back for the next case */
        GPU_CHECK(cudaMemcpy(dev_region, f->host_in[alias], bytes, cudaMemcpyHostToDevice));
    /* A copy from pageable memory may still be in flight when cudaMemcpy
     * returns, and f->stream is non-blocking: wait before the next kernel. */
    GPU_CHECK(cudaDeviceSynchronize());
    size_t bad =
        st == WEFT_OK ? reduce_data_compare(f->dt, op, f->host_out, expect_region, REGION) : 0;
    if (st != WEFT_OK || bad < REGION) {
        size_t e = bad - dst_off / f->size; /* element index in the output, if inside */
        char got[24], want[24];
        if (f->failures++ < 20)
            fprintf(stderr,
                    "FAIL %s %s, %d inputs, count %zu, placement %d, alias %d: status %d (%s); "
                    "element %td of the output: got %s, want %s\n",
                    weft__dtype_name(f->dt), weft__op_name(op), nsrcs, count, placement, alias, st,
                    st != WEFT_OK ? weft_last_error() : "ok", (ptrdiff_t)e,
                    reduce_data_show(f->dt, f->host_out, bad, got),
                    reduce_data_show(f->dt, expect_region, bad, want));
    }
}

static void run_dtype(fixture_t *f)
{
    int failures_before = f->failures;
    for (int s = 0; s < MAX_SRCS; s++) {
        reduce_data_fill(f->dt, s, f->host_in[s], REGION);
        GPU_CHECK(
            cudaMemcpy(f->dev_in[s], f->host_in[s], REGION * f->size, cudaMemcpyHostToDevice));
    }
    GPU_CHECK(cudaDeviceSynchronize()); /* as in run_case */
    size_t ncases = 0;
    for (int op = 0; op < WEFT_NUM_OPS; op++)
        for (size_t n = 0; n < sizeof(nsrcs_list) / sizeof(nsrcs_list[0]); n++)
            for (size_t c = 0; c < gpu_test_ncounts(sizeof(counts) / sizeof(counts[0])); c++)
                for (int placement = 0; placement < 3; placement++)
                    for (int alias = -1; alias < 2; alias++) {
                        int nsrcs = nsrcs_list[n];
                        int which = alias < 0 ? -1 : alias == 0 ? 0 : nsrcs - 1;
                        if (alias == 1 && nsrcs == 1)
                            continue; /* the same case as alias 0 */
                        run_case(f, (weft_op_t)op, nsrcs, counts[c], placement, which);
                        ncases++;
                    }
    printf("%-9s %zu cases, %d failed\n", weft__dtype_name(f->dt), ncases,
           f->failures - failures_before);
}

int main(void)
{
    gpu_test_device_or_skip("test_cuda_reduce");
    fixture_t f = {0};
    GPU_CHECK(cudaStreamCreateWithFlags(&f.stream, cudaStreamNonBlocking));
    size_t max_bytes = (size_t)REGION * 8;
    for (int s = 0; s < MAX_SRCS; s++) {
        GPU_CHECK(cudaMalloc((void **)&f.dev_in[s], max_bytes));
        f.host_in[s] = malloc(max_bytes);
    }
    GPU_CHECK(cudaMalloc((void **)&f.dev_out, max_bytes));
    f.host_out = malloc(max_bytes);
    f.ref = malloc(max_bytes);
    int ok = f.host_out != NULL && f.ref != NULL;
    for (int s = 0; s < MAX_SRCS; s++)
        ok = ok && f.host_in[s] != NULL;
    if (!ok) {
        fprintf(stderr, "test_cuda_reduce: out of host memory\n");
        return 1;
    }
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++) {
        f.dt = (weft_datatype_t)dt;
        f.size = weft__dtype_size(f.dt);
        run_dtype(&f);
    }
    int failures = f.failures;
    for (int s = 0; s < MAX_SRCS; s++) {
        GPU_CHECK(cudaFree(f.dev_in[s]));
        free(f.host_in[s]);
    }
    GPU_CHECK(cudaFree(f.dev_out));
    free(f.host_out);
    free(f.ref);
    GPU_CHECK(cudaStreamDestroy(f.stream));
    if (failures) {
        fprintf(stderr, "test_cuda_reduce: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_reduce: ok\n");
    return 0;
}
