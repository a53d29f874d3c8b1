/*
 * test_device_order.c - stream ordering of calls on device buffers.
 *
 *  - on each rank's stream, with no synchronisation in between: a kernel
 *    writes the input, weft_allreduce runs, a kernel checks the output,
 *    and the next round's kernel overwrites the input at once; 2 to 4
 *    ranks (threads on one GPU), 20 rounds.  A call that read its input
 *    before the writing kernel ended, or a check that ran before the
 *    result was copied back, shows as wrong elements;
 *  - calls of one communicator on two streams run in the order they were
 *    made, whichever stream gets there first (ranks whose streams arrive
 *    in different orders still match);
 *  - destroy right after issuing, without synchronising: destroy lets the
 *    queued calls finish, and their results are right.
 * Exits 77 without a GPU.
 */
#include "gpu_coll.h"
#include "gpu_kernels.h"
#include "gpu_test.h"

#include <stdio.h>
#include <stdlib.h>

static int failures;

/* Rank r's input of round k is (k * 16 + r) + i; the sum over n ranks is
 * (sum of the bases) + n * i. */
static int32_t round_base(int k, int r)
{
    return k * 16 + r;
}

static void test_kernel_order(gpu_ranks_t *g, size_t count, int rounds)
{
    unsigned *errors = NULL, found = 0;
    GPU_CHECK(cudaMalloc((void **)&errors, sizeof(unsigned)));
    GPU_CHECK(cudaMemset(errors, 0, sizeof(unsigned)));
    GPU_CHECK(cudaDeviceSynchronize()); /* the streams below are non-blocking */
    for (int k = 0; k < rounds; k++) {
        int32_t sum = 0;
        for (int r = 0; r < g->n; r++)
            sum += round_base(k, r);
        for (int r = 0; r < g->n; r++) {
            int32_t *in = (int32_t *)g->dev_send[r], *out = (int32_t *)g->dev_recv[r];
            GPU_CHECK(gpu_fill_ramp(in, count, round_base(k, r), g->streams[r]));
            if (weft_allreduce(in, out, count, WEFT_INT32, WEFT_SUM, g->comms[r],
                               g->streams[r]) != WEFT_OK) {
                fprintf(stderr, "FAIL round %d rank %d: %s\n", k, r, weft_last_error());
                exit(1);
            }
            GPU_CHECK(gpu_check_ramp(out, count, sum, g->n, errors, g->streams[r]));
        }
    }
    for (int r = 0; r < g->n; r++)
        GPU_CHECK(cudaStreamSynchronize(g->streams[r]));
    GPU_CHECK(cudaMemcpy(&found, errors, sizeof(found), cudaMemcpyDeviceToHost));
    GPU_CHECK(cudaFree(errors));
    if (found != 0) {
        failures++;
        fprintf(stderr, "FAIL %d ranks: %u wrong elements over %d rounds of %zu\n", g->n, found,
                rounds, count);
    }
}

/* Each rank issues A (count elements) on a second stream, then B (half
 * as many, another buffer) on its first; on rank 0 A's stream is held
 * back, on rank 1 B's.  Run in the order the streams arrive, rank 0
 * would run B first and rank 1 A: the calls would not match (a
 * signature error).  Run in issue order, both are right. */
static void test_two_streams(gpu_ranks_t *g, size_t count)
{
    cudaStream_t other[GPU_MAX_RANKS];
    unsigned *errors = NULL, found = 0;
    GPU_CHECK(cudaMalloc((void **)&errors, sizeof(unsigned)));
    GPU_CHECK(cudaMemset(errors, 0, sizeof(unsigned)));
    GPU_CHECK(cudaDeviceSynchronize()); /* the streams below are non-blocking */
    for (int r = 0; r < g->n; r++) {
        int32_t *a = (int32_t *)g->dev_send[r], *b = (int32_t *)g->dev_recv[r];
        GPU_CHECK(cudaStreamCreateWithFlags(&other[r], cudaStreamNonBlocking));
        GPU_CHECK(gpu_fill_ramp(a, count, 1, other[r]));
        GPU_CHECK(gpu_fill_ramp(b, count / 2, 2, g->streams[r]));
        if (r < 2)
            GPU_CHECK(gpu_delay(50000000, r == 0 ? other[r] : g->streams[r]));
        weft_status_t sa = weft_allreduce(a, a, count, WEFT_INT32, WEFT_SUM, g->comms[r],
                                          other[r]);
        weft_status_t sb = weft_allreduce(b, b, count / 2, WEFT_INT32, WEFT_SUM, g->comms[r],
                                          g->streams[r]);
        if (sa != WEFT_OK || sb != WEFT_OK) {
            fprintf(stderr, "FAIL two streams, rank %d: %s\n", r, weft_last_error());
            exit(1);
        }
        GPU_CHECK(gpu_check_ramp(a, count, g->n, g->n, errors, other[r]));
        GPU_CHECK(gpu_check_ramp(b, count / 2, 2 * g->n, g->n, errors, g->streams[r]));
    }
    for (int r = 0; r < g->n; r++) {
        GPU_CHECK(cudaStreamSynchronize(g->streams[r]));
        GPU_CHECK(cudaStreamSynchronize(other[r]));
        GPU_CHECK(cudaStreamDestroy(other[r]));
        weft_status_t async = WEFT_OK;
        weft_comm_get_async_error(g->comms[r], &async);
        if (async != WEFT_OK) {
            fprintf(stderr, "FAIL two streams, rank %d: %s\n", r, weft_last_error());
            exit(1);
        }
    }
    GPU_CHECK(cudaMemcpy(&found, errors, sizeof(found), cudaMemcpyDeviceToHost));
    GPU_CHECK(cudaFree(errors));
    if (found != 0) {
        failures++;
        fprintf(stderr, "FAIL two streams, %d ranks: %u wrong elements\n", g->n, found);
    }
}

/* Destroy with calls queued: they finish first. */
static void test_destroy_drains(int device, size_t count)
{
    gpu_ranks_t g;
    gpu_ranks_init(&g, 2, device, count);
    for (int r = 0; r < 2; r++) {
        int32_t *in = (int32_t *)g.dev_send[r];
        GPU_CHECK(gpu_fill_ramp(in, count, 5, g.streams[r]));
        if (weft_allreduce(in, g.dev_recv[r], count, WEFT_INT32, WEFT_SUM, g.comms[r],
                           g.streams[r]) != WEFT_OK) {
            fprintf(stderr, "FAIL destroy with a call queued: %s\n", weft_last_error());
            exit(1);
        }
    }
    for (int r = 0; r < 2; r++) {
        if (weft_comm_destroy(g.comms[r]) != WEFT_OK) {
            failures++;
            fprintf(stderr, "FAIL destroy with a call queued: %s\n", weft_last_error());
        }
    }
    unsigned *errors = NULL, found = 0;
    GPU_CHECK(cudaMalloc((void **)&errors, sizeof(unsigned)));
    GPU_CHECK(cudaMemset(errors, 0, sizeof(unsigned)));
    GPU_CHECK(cudaDeviceSynchronize()); /* the streams below are non-blocking */
    GPU_CHECK(gpu_check_ramp((int32_t *)g.dev_recv[0], count, 10, 2, errors, g.streams[0]));
    GPU_CHECK(cudaMemcpy(&found, errors, sizeof(found), cudaMemcpyDeviceToHost));
    if (found != 0) {
        failures++;
        fprintf(stderr, "FAIL destroy with a call queued: %u wrong elements\n", found);
    }
    GPU_CHECK(cudaFree(errors));
    for (int r = 0; r < 2; r++) {
        GPU_CHECK(cudaStreamSynchronize(g.streams[r]));
        GPU_CHECK(cudaStreamDestroy(g.streams[r]));
        GPU_CHECK(cudaFree(g.dev_send[r]));
        GPU_CHECK(cudaFree(g.dev_recv[r]));
        free(g.host_in[r]);
        free(g.host_send[r]);
        free(g.host_recv[r]);
        free(g.got[r]);
    }
}

int main(void)
{
    int device = gpu_test_device_or_skip("test_device_order");
    size_t count = gpu_test_ncounts(2) == 2 ? (size_t)1 << 20 : (size_t)1 << 16;
    for (int n = 2; n <= 4; n++) {
        gpu_ranks_t g;
        gpu_ranks_init(&g, n, device, count);
        test_kernel_order(&g, count, 20);
        test_two_streams(&g, count);
        gpu_ranks_free(&g);
    }
    test_destroy_drains(device, count);
    if (failures) {
        fprintf(stderr, "test_device_order: %d failures\n", failures);
        return 1;
    }
    printf("test_device_order: ok\n");
    return 0;
}
