/*
 * direct_submit.c - an all-reduce on the direct path (direct.h): which
 * calls take it, their rounds, and what each round computes.
 *
 * A call of more bytes than the shared buffers goes in rounds of at most
 * their size.  Each round is one-shot or two-shot, by the call's size
 * (WEFT_CUDA_IPC_ONESHOT_MAX_BYTES, agreed by every rank at setup):
 *   one-shot   every rank reduces all n buffers, in rank order, into its
 *              output: n reads of the vector per rank, two barriers;
 *   two-shot   rank r reduces block r of all n buffers in place into its
 *              own buffer (only rank r reads block r there), and after a
 *              third barrier every rank gathers every block from its
 *              owner's buffer: 2 reads of the vector per rank.
 * Both fold in rank order, so every rank holds bitwise the same sum; AVG
 * divides the output at the end.
 */
#include "algo/pattern.h"
#include "core/comm.h"
#include "core/direct_internal.h"
#include "reduce/reduce.h"
#include "util/log.h"

#include <stdint.h>
#include <string.h>

int weft__direct_takes(const weft_op_desc_t *ops, int n)
{
    return n == 1 && ops[0].on_device && ops[0].args.coll == WEFT_COLL_ALLREDUCE &&
           ops[0].comm->direct != NULL;
}

int weft__direct_twoshot(const weft_direct_t *d, uint64_t call_bytes)
{
    return call_bytes > d->oneshot_max;
}

/* What round [off, off + count) of the call computes, into q. */
static void round_data(const struct weft_comm *comm, const weft_op_desc_t *op, uint64_t off,
                       uint64_t count, int twoshot, weft__cuda_direct_round_t *q)
{
    const weft_direct_t *d = comm->direct;
    int n = comm->nranks;
    size_t es = weft__dtype_size(op->args.dt);
    uint8_t *out = (uint8_t *)op->recvbuf + off * es;
    q->in = (const uint8_t *)op->sendbuf + off * es;
    q->mine = d->mine;
    q->bytes = count * es;
    q->nsrcs = n;
    q->dt = op->args.dt;
    q->op = op->args.op;
    q->divisor = op->args.op == WEFT_AVG ? (uint32_t)n : 1;
    q->div_dst = out;
    q->div_count = count;
    if (!twoshot) {
        for (int p = 0; p < n; p++)
            q->red_srcs[p] = d->peer[p];
        q->red_dst = out;
        q->red_count = count;
        return;
    }
    size_t mine_at = weft__block_off(count, (uint64_t)n, (uint64_t)comm->rank) * es;
    for (int p = 0; p < n; p++) {
        size_t at = weft__block_off(count, (uint64_t)n, (uint64_t)p) * es;
        q->red_srcs[p] = (const uint8_t *)d->peer[p] + mine_at;
        q->gather[p] = (weft__cuda_copy_t){
            out + at, (const uint8_t *)d->peer[p] + at,
            weft__block_count(count, (uint64_t)n, (uint64_t)p) * es};
    }
    q->red_dst = (uint8_t *)d->mine + mine_at;
    q->red_count = weft__block_count(count, (uint64_t)n, (uint64_t)comm->rank);
}

static weft_status_t one_round(weft_stream_calls_t *sc, const weft_op_desc_t *op, void *stream,
                               uint64_t off, uint64_t count, int twoshot, const char *fn)
{
    direct_round_t *r = NULL;
    weft_status_t st = weft__direct_issue(sc, twoshot ? 3 : 2,
                                          twoshot ? "twoshot_cuda_ipc" : "oneshot_cuda_ipc", fn, &r);
    if (st != WEFT_OK)
        return st;
    weft__cuda_direct_round_t q;
    memset(&q, 0, sizeof(q));
    weft__direct_stream_pieces(r, &q);
    round_data(sc->comm, op, off, count, twoshot, &q);
    st = weft__cuda_direct_round(sc->comm->device, stream, &q);
    if (st != WEFT_OK)
        weft__direct_cancel(r, st);
    return st;
}

weft_status_t weft__direct_submit(weft_stream_calls_t *sc, const weft_op_desc_t *op,
                                  void *stream, const char *fn)
{
    size_t es = weft__dtype_size(op->args.dt);
    uint64_t per = sc->comm->direct->bytes / es, total = op->args.count, off = 0;
    int twoshot = weft__direct_twoshot(sc->comm->direct, total * es);
    weft_status_t st = WEFT_OK;
    /* The kernels write the output in elements (the copies take any
     * alignment).  Refused before anything is issued: the peers then
     * time out in the barrier, as for any call one rank does not make. */
    if (total > 0 && (uintptr_t)op->recvbuf % es != 0)
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT,
                         "%s: recvbuf %p is not aligned to its %zu-byte elements, which the "
                         "direct path (WEFT_CUDA_IPC=1) needs", fn, op->recvbuf, es);
    while (st == WEFT_OK) { /* a zero count is one round too: every rank runs the barriers */
        uint64_t n = total - off < per ? total - off : per;
        st = one_round(sc, op, stream, off, n, twoshot, fn);
        off += n;
        if (off >= total)
            break;
    }
    if (st != WEFT_OK) /* peers run rounds this rank skipped (the first error stays) */
        weft__proxy_fail(sc->proxy, st, weft_last_error());
    return st;
}
