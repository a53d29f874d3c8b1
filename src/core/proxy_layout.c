/*
 * proxy_layout.c - where a call on device buffers sits in staging memory.
 *
 * The proxy runs the host collective in place on one region per call, so
 * that a call needs one copy in and one copy out, and staging is never
 * larger than the call's biggest buffer:
 *
 *   all-reduce      input -> region; in place; region -> output
 *   all-gather      input -> this rank's slice of the region; in place
 *                   (send = that slice, recv = region); region -> output
 *   reduce-scatter  input (nranks slices) -> region; in place (recv = this
 *                   rank's slice); that slice -> output
 *   broadcast       input -> region on the root only; in place everywhere;
 *                   region -> output
 *   reduce          input -> region; in place on the root, recv NULL
 *                   elsewhere (as the host API allows); region -> output on
 *                   the root only
 *   send / recv     buffer -> region / region -> buffer
 * In-place host collectives are proven by the verifier like the others,
 * and a user's in-place call stages the same way.  Pure functions: no
 * CUDA, unit-tested (tests/unit/test_proxy.c).
 */
#include "core/comm.h"
#include "core/proxy_device.h"
#include "reduce/reduce.h"

#include <stdint.h>
#include <string.h>

void weft__stage_span(const weft_op_desc_t *d, weft_stage_span_t *span_p)
{
    const weft_coll_args_t *a = &d->args;
    size_t b = a->count * weft__dtype_size(a->dt); /* one rank's bytes */
    size_t all = b * (size_t)a->nranks, mine = b * (size_t)a->rank;
    int root = a->rank == a->root;
    weft_stage_span_t s;
    memset(&s, 0, sizeof(s));
    s.in_src = d->sendbuf;
    s.out_dst = d->recvbuf;
    s.has_send = s.has_recv = 1;
    switch (a->coll) {
    case WEFT_COLL_ALLREDUCE:
        s.bytes = s.in_bytes = s.out_bytes = b;
        break;
    case WEFT_COLL_ALLGATHER:
        s.bytes = s.out_bytes = all;
        s.in_off = s.send_off = mine;
        s.in_bytes = b;
        break;
    case WEFT_COLL_REDUCE_SCATTER:
        s.bytes = s.in_bytes = all;
        s.out_off = s.recv_off = mine;
        s.out_bytes = b;
        break;
    case WEFT_COLL_BROADCAST:
        s.bytes = s.out_bytes = b;
        s.in_bytes = root ? b : 0;
        break;
    case WEFT_COLL_REDUCE:
        s.bytes = s.in_bytes = b;
        s.out_bytes = root ? b : 0;
        s.has_recv = root;
        break;
    case WEFT_COLL_SEND:
        s.bytes = s.in_bytes = b;
        s.has_recv = 0;
        break;
    case WEFT_COLL_RECV:
        s.bytes = s.out_bytes = b;
        s.has_send = 0;
        break;
    default: /* barrier: no buffers */
        s.has_send = s.has_recv = 0;
        break;
    }
    if (s.in_bytes == 0)
        s.in_src = NULL;
    if (s.out_bytes == 0)
        s.out_dst = NULL;
    *span_p = s;
}

static int ranges_meet(const void *a, size_t alen, const void *b, size_t blen)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return a != NULL && b != NULL && alen > 0 && blen > 0 && x < y + blen && y < x + alen;
}

int weft__stage_conflict(const weft_op_desc_t *ops, int n, int *first_p, int *second_p)
{
    for (int i = 0; i < n; i++) {
        weft_stage_span_t wi;
        weft__stage_span(&ops[i], &wi);
        if (wi.out_bytes == 0)
            continue;
        for (int j = i + 1; j < n; j++) {
            weft_stage_span_t rj;
            weft__stage_span(&ops[j], &rj);
            if (ops[j].comm == ops[i].comm &&
                ranges_meet(wi.out_dst, wi.out_bytes, rj.in_src, rj.in_bytes)) {
                *first_p = i;
                *second_p = j;
                return 1;
            }
        }
    }
    return 0;
}

/* Pieces: only collectives whose every buffer is one contiguous vector of
 * count elements, element i of the output depending on element i of the
 * inputs alone. */
static int cuts_into_pieces(weft_coll_t coll)
{
    return coll == WEFT_COLL_ALLREDUCE || coll == WEFT_COLL_BROADCAST || coll == WEFT_COLL_REDUCE;
}

uint64_t weft__stage_piece_count(const weft_op_desc_t *d, size_t piece_bytes)
{
    size_t es = weft__dtype_size(d->args.dt);
    uint64_t per = piece_bytes / es;
    if (!cuts_into_pieces(d->args.coll) || per == 0 || d->args.count <= per)
        return 1;
    return (d->args.count + per - 1) / per;
}

void weft__stage_piece(const weft_op_desc_t *d, size_t piece_bytes, uint64_t k,
                       weft_op_desc_t *piece_p)
{
    *piece_p = *d;
    if (weft__stage_piece_count(d, piece_bytes) == 1)
        return;
    size_t es = weft__dtype_size(d->args.dt);
    uint64_t per = piece_bytes / es, off = k * per;
    piece_p->args.count = d->args.count - off < per ? d->args.count - off : per;
    if (d->sendbuf != NULL)
        piece_p->sendbuf = (const uint8_t *)d->sendbuf + off * es;
    if (d->recvbuf != NULL)
        piece_p->recvbuf = (uint8_t *)d->recvbuf + off * es;
}
