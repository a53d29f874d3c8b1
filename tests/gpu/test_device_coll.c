/*
 * test_device_coll.c - every collective on device buffers, stream-ordered
 * (core/proxy_device.h), against the same collective on host buffers:
 * all-reduce, all-gather, reduce-scatter, broadcast and reduce x every
 * datatype x every op (AVG included) x out of place and in place x 1 to 4
 * ranks sharing the one GPU (threads of this process, from
 * weft_comm_init_all), plus send/recv around a ring and a device group
 * (all-reduce and reduce-scatter together on each rank's stream).
 *
 * One thread drives every rank: device calls return at once, so it
 * issues rank 0's call, rank 1's, ... on each rank's own stream, then
 * synchronises the streams.  The reference is the host path run over the
 * same communicators in a group, bit for bit (the same executor and
 * algorithm: what is under test is the staging, the ordering and the
 * proxy; the host executor is tested against the CPU reducers
 * elsewhere).  Outputs start as a pattern, so that bytes a call must
 * not write (reduce off the root) are checked too.  Counts 0, 1, 7, 1000
 * and 65537 (WEFT_TEST_QUICK=1 drops the last, for compute-sanitizer).
 * Exits 77 without a GPU.
 */
#include "gpu_coll.h"
#include "gpu_test.h"
#include "reduce/reduce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check_async(gpu_ranks_t *g, const char *what)
{
    for (int r = 0; r < g->n; r++) {
        weft_status_t async = WEFT_OK;
        weft_status_t st = weft_comm_get_async_error(g->comms[r], &async);
        if (st != WEFT_OK || async != WEFT_OK) {
            fprintf(stderr, "FAIL %s: rank %d: async error %d: %s\n", what, r, async,
                    weft_last_error());
            exit(1); /* the communicators are failed: nothing after this would mean much */
        }
    }
}

/* One case on every rank: device, then host reference, then compare. */
static void run_case(gpu_ranks_t *g, const gpu_case_t *c)
{
    for (int r = 0; r < g->n; r++)
        gpu_case_prepare(g, c, r);
    for (int r = 0; r < g->n; r++) {
        weft_status_t st = gpu_case_issue(g, c, r, 1);
        if (st != WEFT_OK) {
            fprintf(stderr, "FAIL %s: rank %d: %s\n", gpu_case_name(c, g->n), r,
                    weft_last_error());
            exit(1);
        }
    }
    for (int r = 0; r < g->n; r++)
        GPU_CHECK(cudaStreamSynchronize(g->streams[r]));
    check_async(g, gpu_case_name(c, g->n));
    weft_group_start();
    for (int r = 0; r < g->n; r++)
        gpu_case_issue(g, c, r, 0);
    if (weft_group_end() != WEFT_OK) {
        fprintf(stderr, "FAIL %s: host reference: %s\n", gpu_case_name(c, g->n),
                weft_last_error());
        exit(1);
    }
    for (int r = 0; r < g->n; r++) {
        const char *bad = gpu_case_compare(g, c, r);
        if (bad != NULL && failures++ < 20)
            fprintf(stderr, "FAIL %s rank %d: %s\n", gpu_case_name(c, g->n), r, bad);
    }
}

static void sweep(gpu_ranks_t *g)
{
    static const size_t counts[] = {0, 1, 7, 1000, 65537};
    static const gpu_coll_t colls[] = {GPU_ALLREDUCE, GPU_ALLGATHER, GPU_REDUCE_SCATTER,
                                       GPU_BROADCAST, GPU_REDUCE};
    size_t ncounts = gpu_test_ncounts(sizeof(counts) / sizeof(counts[0]));
    int cases = 0;
    for (size_t k = 0; k < sizeof(colls) / sizeof(colls[0]); k++) {
        int with_op = colls[k] != GPU_ALLGATHER && colls[k] != GPU_BROADCAST;
        for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++)
            for (int op = 0; op < (with_op ? WEFT_NUM_OPS : 1); op++)
                for (size_t ci = 0; ci < ncounts; ci++)
                    for (int inplace = 0; inplace < 2; inplace++, cases++) {
                        gpu_case_t c = {colls[k], (weft_datatype_t)dt, (weft_op_t)op,
                                        counts[ci], inplace, (int)(ci % (size_t)g->n)};
                        run_case(g, &c);
                    }
    }
    if (g->n > 1) {
        for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++)
            for (size_t ci = 0; ci < ncounts; ci++, cases++) {
                gpu_case_t c = {GPU_SENDRECV, (weft_datatype_t)dt, WEFT_SUM, counts[ci], 0, 0};
                run_case(g, &c);
            }
        for (size_t ci = 0; ci < ncounts; ci++, cases++) {
            gpu_case_t c = {GPU_GROUP, WEFT_FLOAT32, WEFT_SUM, counts[ci], 0, 0};
            run_case(g, &c);
        }
    }
    printf("test_device_coll: %d ranks: %d cases\n", g->n, cases);
}

int main(void)
{
    int device = gpu_test_device_or_skip("test_device_coll");
    for (int n = 1; n <= 4; n++) {
        gpu_ranks_t g;
        gpu_ranks_init(&g, n, device, 65537);
        sweep(&g);
        gpu_ranks_free(&g);
    }
    if (failures) {
        fprintf(stderr, "test_device_coll: %d failures\n", failures);
        return 1;
    }
    printf("test_device_coll: ok\n");
    return 0;
}
