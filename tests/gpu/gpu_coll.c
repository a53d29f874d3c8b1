/*
 * gpu_coll.c - the ranks and the cases of the device-buffer collective
 * tests (gpu_coll.h).
 *
 * A case's input is placed where the call reads it: the send buffer out
 * of place; in place, the receive buffer (at this rank's slice for
 * all-gather).  Its output is compared where the call defines one: all
 * of it, this rank's slice for an in-place reduce-scatter (the rest of
 * the buffer is the host algorithm's scratch), the root only for reduce
 * (elsewhere the device buffer must keep its pattern when out of place).
 */
#include "gpu_coll.h"
#include "gpu_test.h"
#include "reduce/reduce.h"
#include "reduce_data.h"

#include <stdio.h>
#include <string.h>

#define PATTERN 0x5a

static size_t in_elems(const gpu_case_t *c, int n)
{
    switch (c->coll) {
    case GPU_REDUCE_SCATTER:
        return (size_t)n * c->count;
    case GPU_GROUP:
        return c->count + (size_t)n * c->count;
    default:
        return c->count;
    }
}

static size_t out_elems(const gpu_case_t *c, int n)
{
    return c->coll == GPU_ALLGATHER ? (size_t)n * c->count
           : c->coll == GPU_GROUP   ? 2 * c->count
                                    : c->count;
}

/* In place: where the input goes in the receive buffer, in elements. */
static size_t inplace_in_at(const gpu_case_t *c, int r)
{
    return c->coll == GPU_ALLGATHER ? (size_t)r * c->count : 0;
}

void gpu_ranks_init(gpu_ranks_t *g, int n, int device, size_t max_count)
{
    memset(g, 0, sizeof(*g));
    g->n = n;
    g->cap = (size_t)(n + 1) * max_count * 8;
    int devices[GPU_MAX_RANKS] = {device, device, device, device};
    if (weft_comm_init_all(n, devices, g->comms) != WEFT_OK) {
        fprintf(stderr, "weft_comm_init_all(%d): %s\n", n, weft_last_error());
        exit(1);
    }
    for (int r = 0; r < n; r++) {
        GPU_CHECK(cudaStreamCreateWithFlags(&g->streams[r], cudaStreamNonBlocking));
        GPU_CHECK(cudaMalloc((void **)&g->dev_send[r], g->cap));
        GPU_CHECK(cudaMalloc((void **)&g->dev_recv[r], g->cap));
        g->host_in[r] = malloc(g->cap);
        g->host_send[r] = malloc(g->cap);
        g->host_recv[r] = malloc(g->cap);
        g->got[r] = malloc(g->cap);
        if (!g->host_in[r] || !g->host_send[r] || !g->host_recv[r] || !g->got[r]) {
            fprintf(stderr, "out of host memory\n");
            exit(1);
        }
    }
}

void gpu_ranks_free(gpu_ranks_t *g)
{
    for (int r = 0; r < g->n; r++) {
        GPU_CHECK(cudaStreamSynchronize(g->streams[r]));
        if (weft_comm_destroy(g->comms[r]) != WEFT_OK)
            fprintf(stderr, "weft_comm_destroy(rank %d): %s\n", r, weft_last_error());
        GPU_CHECK(cudaStreamDestroy(g->streams[r]));
        GPU_CHECK(cudaFree(g->dev_send[r]));
        GPU_CHECK(cudaFree(g->dev_recv[r]));
        free(g->host_in[r]);
        free(g->host_send[r]);
        free(g->host_recv[r]);
        free(g->got[r]);
    }
}

void gpu_case_prepare(gpu_ranks_t *g, const gpu_case_t *c, int r)
{
    size_t es = weft__dtype_size(c->dt), in = in_elems(c, g->n) * es;
    reduce_data_fill(c->dt, 1 + r * 7 + (int)c->coll, g->host_in[r], in_elems(c, g->n));
    GPU_CHECK(cudaMemset(g->dev_send[r], PATTERN, g->cap));
    GPU_CHECK(cudaMemset(g->dev_recv[r], PATTERN, g->cap));
    memset(g->host_send[r], PATTERN, g->cap);
    memset(g->host_recv[r], PATTERN, g->cap);
    size_t at = c->inplace ? inplace_in_at(c, r) * es : 0;
    uint8_t *dev = c->inplace ? g->dev_recv[r] + at : g->dev_send[r];
    uint8_t *host = c->inplace ? g->host_recv[r] + at : g->host_send[r];
    GPU_CHECK(cudaMemcpy(dev, g->host_in[r], in, cudaMemcpyHostToDevice));
    memcpy(host, g->host_in[r], in);
    /* The memsets, and the copy's DMA from pageable memory, may still run
     * when cudaMemcpy returns; the call's stream is non-blocking, so it
     * would not wait for them. */
    GPU_CHECK(cudaDeviceSynchronize());
}

static weft_status_t issue_pair(const gpu_case_t *c, uint8_t *send, uint8_t *recv, size_t es,
                                weft_comm_t comm, int r, int n, weft_stream_t s)
{
    weft_group_start();
    if (c->coll == GPU_SENDRECV) {
        weft_send(send, c->count, c->dt, (r + 1) % n, comm, s);
        weft_recv(recv, c->count, c->dt, (r + n - 1) % n, comm, s);
    } else {
        weft_allreduce(send, recv, c->count, c->dt, c->op, comm, s);
        weft_reduce_scatter(send + c->count * es, recv + c->count * es, c->count, c->dt, c->op,
                            comm, s);
    }
    return weft_group_end();
}

weft_status_t gpu_case_issue(gpu_ranks_t *g, const gpu_case_t *c, int r, int on_device)
{
    size_t es = weft__dtype_size(c->dt);
    uint8_t *send = on_device ? g->dev_send[r] : g->host_send[r];
    uint8_t *recv = on_device ? g->dev_recv[r] : g->host_recv[r];
    weft_stream_t s = on_device ? (weft_stream_t)g->streams[r] : NULL;
    weft_comm_t comm = g->comms[r];
    if (c->inplace) {
        send = recv + inplace_in_at(c, r) * es;
        if (c->coll == GPU_REDUCE_SCATTER)
            recv += (size_t)r * c->count * es;
    }
    switch (c->coll) {
    case GPU_ALLREDUCE:
        return weft_allreduce(send, recv, c->count, c->dt, c->op, comm, s);
    case GPU_ALLGATHER:
        return weft_allgather(send, recv, c->count, c->dt, comm, s);
    case GPU_REDUCE_SCATTER:
        return weft_reduce_scatter(send, recv, c->count, c->dt, c->op, comm, s);
    case GPU_BROADCAST:
        return weft_broadcast(send, recv, c->count, c->dt, c->root, comm, s);
    case GPU_REDUCE:
        return weft_reduce(send, recv, c->count, c->dt, c->op, c->root, comm, s);
    case GPU_SENDRECV:
    case GPU_GROUP:
        return issue_pair(c, send, recv, es, comm, r, g->n, s);
    }
    return WEFT_ERR_INTERNAL;
}

const char *gpu_case_compare(gpu_ranks_t *g, const gpu_case_t *c, int r)
{
    static char msg[256];
    size_t es = weft__dtype_size(c->dt), n = out_elems(c, g->n), at = 0;
    GPU_CHECK(cudaMemcpy(g->got[r], g->dev_recv[r], g->cap, cudaMemcpyDeviceToHost));
    if (c->coll == GPU_REDUCE_SCATTER && c->inplace)
        at = (size_t)r * c->count * es;
    if (c->coll == GPU_REDUCE && r != c->root) {
        if (c->inplace)
            return NULL; /* the input stays; the host may use it as scratch */
        for (size_t i = 0; i < g->cap; i++) {
            if (g->got[r][i] != PATTERN) {
                snprintf(msg, sizeof(msg), "byte %zu of recvbuf written off the root", i);
                return msg;
            }
        }
        return NULL;
    }
    size_t bad = reduce_data_compare(c->dt, c->op, g->got[r] + at, g->host_recv[r] + at, n);
    if (bad == n)
        return NULL;
    char got[24], want[24];
    snprintf(msg, sizeof(msg), "element %zu of %zu: got %s, want %s", bad, n,
             reduce_data_show(c->dt, g->got[r] + at, bad, got),
             reduce_data_show(c->dt, g->host_recv[r] + at, bad, want));
    return msg;
}

const char *gpu_case_name(const gpu_case_t *c, int n)
{
    static const char *const names[] = {"allreduce", "allgather", "reduce_scatter", "broadcast",
                                        "reduce",    "sendrecv",  "group"};
    static const char *const ops[] = {"sum", "prod", "min", "max", "avg"};
    static char buf[160];
    snprintf(buf, sizeof(buf), "%s %s %s count %zu%s root %d, %d ranks", names[c->coll],
             weft__dtype_name(c->dt), ops[c->op], c->count, c->inplace ? " in place" : "",
             c->root, n);
    return buf;
}
