/*
 * procs_case.c - layout, images and comparison of one case of
 * test_device_procs (procs_case.h).
 *
 * Before the call an area holds guard bytes around its elements; the
 * elements are a per-case poison pattern, except this rank's input where
 * the call reads it.  After the call it must hold the same bytes except
 * where the call defines an output, which must hold the exact result.
 * So everything else is checked too: out of place, the input is not
 * changed, recvbuf off the root of a reduce keeps its poison, sendbuf
 * off the root of a broadcast is not read; in place, a reduce-scatter
 * leaves the other ranks' slices as they were and a reduce leaves a
 * non-root's input; the guards are never written.  Where the API lets a
 * rank pass NULL (a buffer it does not use, count 0) every other case
 * does.
 */
#include "procs_case.h"
#include "multirank/mr_data.h"

#include <stdio.h>
#include <string.h>

static unsigned char guard_byte(int area)
{
    return area ? 0xe7 : 0xd3;
}

static unsigned char poison_byte(const mr_case_t *c)
{
    return (unsigned char)(0x5b + 0x26 * (c->id & 7));
}

size_t pc_area_bytes(int n, size_t max_count)
{
    return 2 * PC_GUARD + PC_SHIFT_MAX + (size_t)n * max_count * 8;
}

void pc_plan(const mr_case_t *c, int me, int n, pc_plan_t *p)
{
    size_t k = c->count, all = k * (size_t)n, es = mr_dtype_size(c->dt);
    size_t in = c->coll == MR_REDUCE_SCATTER ? all : k;
    size_t out = c->coll == MR_ALLGATHER ? all : k;
    int root = me == c->root, even = c->id % 2 == 0;
    memset(p, 0, sizeof(*p));
    p->shift = (c->id % 4) * es;
    p->present[0] = 1;
    p->in_count = c->coll == MR_BROADCAST && !root ? 0 : in;
    p->out_area = c->coll == MR_REDUCE && !root ? -1 : c->inplace ? 0 : 1;
    p->out_count = out;
    if (c->inplace) {
        /* All-gather reads this rank's slice of recvbuf; reduce-scatter
         * writes this rank's slice of sendbuf (weft.h). */
        p->elems[0] = in > out ? in : out;
        p->send_area = p->recv_area = 0;
        if (c->coll == MR_ALLGATHER)
            p->send_off = p->in_off = k * (size_t)me;
        if (c->coll == MR_REDUCE_SCATTER)
            p->recv_off = p->out_off = k * (size_t)me;
    } else {
        p->present[1] = 1;
        p->elems[0] = in;
        p->elems[1] = out;
        p->send_area = 0;
        p->recv_area = 1;
        /* A buffer this rank does not use: NULL, or one that must stay. */
        if (c->coll == MR_BROADCAST && !root && even)
            p->send_area = -1, p->present[0] = 0;
        if (c->coll == MR_REDUCE && !root && even)
            p->recv_area = -1, p->present[1] = 0;
    }
    if (k == 0 && c->id % 4 >= 2) /* nothing to do, and no buffer at all */
        p->send_area = p->recv_area = -1;
    for (int i = 0; i < 2; i++)
        p->span[i] = p->present[i] ? 2 * PC_GUARD + p->shift + p->elems[i] * es : 0;
}

/* The result of case c on rank me, out_count elements at dst. */
static void expect(const mr_case_t *c, int me, int n, unsigned char *dst)
{
    size_t k = c->count, es = mr_dtype_size(c->dt);
    switch (c->coll) {
    case MR_ALLGATHER:
        for (int q = 0; q < n; q++)
            mr_fill(dst + (size_t)q * k * es, k, 0, c->dt, MR_VALS_RAW, q, c->salt);
        break;
    case MR_BROADCAST:
        mr_fill(dst, k, 0, c->dt, MR_VALS_RAW, c->root, c->salt);
        break;
    case MR_REDUCE_SCATTER:
        mr_expect_reduce(dst, k, k * (size_t)me, c->dt, c->op, n, c->salt);
        break;
    default:
        mr_expect_reduce(dst, k, 0, c->dt, c->op, n, c->salt);
        break;
    }
}

void pc_images(const pc_plan_t *p, const mr_case_t *c, int me, int n, unsigned char *before[2],
               unsigned char *after[2])
{
    size_t es = mr_dtype_size(c->dt), at = PC_GUARD + p->shift;
    mr_vals_t vals = mr_coll_has_op(c->coll) ? mr_vals_for_op(c->op) : MR_VALS_RAW;
    for (int i = 0; i < 2; i++) {
        if (!p->present[i])
            continue;
        memset(before[i], guard_byte(i), p->span[i]);
        memset(before[i] + at, poison_byte(c), p->elems[i] * es);
    }
    if (p->present[0] && p->in_count > 0)
        mr_fill(before[0] + at + p->in_off * es, p->in_count, 0, c->dt, vals, me, c->salt);
    for (int i = 0; i < 2; i++) {
        if (p->present[i])
            memcpy(after[i], before[i], p->span[i]);
    }
    if (p->out_area >= 0 && p->present[p->out_area])
        expect(c, me, n, after[p->out_area] + at + p->out_off * es);
}

static const char *area_name(const mr_case_t *c, int i)
{
    return i ? "recvbuf" : c->inplace ? "the buffer (in place)" : "sendbuf";
}

/* What element j of area i is, for a failure message. */
static const char *elem_kind(const pc_plan_t *p, int i, size_t j)
{
    if (i == p->out_area && j >= p->out_off && j < p->out_off + p->out_count)
        return "the result";
    if (i == 0 && j >= p->in_off && j < p->in_off + p->in_count)
        return "the input, which must not change";
    return "bytes the call must not write";
}

int pc_compare(const pc_plan_t *p, const mr_case_t *c, int i, const unsigned char *got,
               const unsigned char *after, char *msg, size_t len)
{
    size_t span = p->span[i], es = mr_dtype_size(c->dt), lo = PC_GUARD + p->shift;
    size_t hi = lo + p->elems[i] * es, b = 0;
    if (memcmp(got, after, span) == 0)
        return 1;
    while (got[b] == after[b])
        b++;
    if (b < lo || b >= hi) {
        size_t bad = 0;
        for (size_t x = 0; x < span; x++)
            bad += (x < lo || x >= hi) && got[x] != after[x];
        snprintf(msg, len,
                 "%zu guard bytes around %s were written, the first at byte %lld from its first "
                 "element (0x%02x)",
                 bad, area_name(c, i), (long long)b - (long long)lo, got[b]);
        return 0;
    }
    size_t j = (b - lo) / es, ndiff = 0;
    mr_first_diff(got + lo, after + lo, p->elems[i], es, &ndiff);
    char g[80], w[80];
    mr_format_elem(g, sizeof(g), got + lo + j * es, c->dt);
    mr_format_elem(w, sizeof(w), after + lo + j * es, c->dt);
    snprintf(msg, len, "%s element %zu (%s): got %s, expected %s; %zu of %zu elements differ",
             area_name(c, i), j, elem_kind(p, i, j), g, w, ndiff, p->elems[i]);
    return 0;
}

weft_status_t pc_issue(const mr_case_t *c, void *send, void *recv, weft_comm_t comm,
                       weft_stream_t stream)
{
    switch (c->coll) {
    case MR_ALLREDUCE:
        return weft_allreduce(send, recv, c->count, c->dt, c->op, comm, stream);
    case MR_ALLGATHER:
        return weft_allgather(send, recv, c->count, c->dt, comm, stream);
    case MR_REDUCE_SCATTER:
        return weft_reduce_scatter(send, recv, c->count, c->dt, c->op, comm, stream);
    case MR_BROADCAST:
        return weft_broadcast(send, recv, c->count, c->dt, c->root, comm, stream);
    default:
        return weft_reduce(send, recv, c->count, c->dt, c->op, c->root, comm, stream);
    }
}
