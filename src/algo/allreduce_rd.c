/*
 * allreduce_rd.c - recursive-doubling all-reduce, for small vectors.
 *
 * With p2 ranks (a power of two), in step i every rank exchanges its whole
 * current vector with the rank whose virtual rank differs in bit i and
 * combines the two; after log2(p2) steps everyone holds the full result.
 * Any other n is folded first (pattern.h): the first 2*rem ranks pair up,
 * the even one sends its input to the odd one and, at the end, receives the
 * result back from it.
 *
 * Partial results ping-pong between two scratch vectors so that a step
 * never overwrites what the previous step's send may still be reading; the
 * last step writes the receive buffer.  Every rank combines its own value
 * with its partner's, and the ops are commutative, so every rank ends with
 * bitwise the same result.
 *
 * Cost: log2(p2) alpha + log2(p2) S beta (+2 alpha + 2 S beta when folded):
 * the fewest steps, S per step; for S up to a few KiB.
 */
#include "algo/algo.h"
#include "algo/pattern.h"

/* Sends the folded-out partner its result at the end (odd ranks), or
 * receives it (even ranks). */
static void unfold(const weft_coll_args_t *a, weft_sched_t *s, int32_t done, int32_t presend)
{
    weft_region_t all = weft__region(1, 0, a->count);
    if (a->rank % 2)
        weft__sched_send(s, a->rank - 1, all, a->dt, &done, 1);
    else
        weft__sched_recv(s, a->rank + 1, all, a->dt, &presend, 1);
}

weft_status_t weft__gen_allreduce_rd(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "rd";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count;
    if (n == 1 || c == 0) {
        weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, 0, c), a->dt, NULL, 0);
        return s->status;
    }
    int p2 = weft__pow2_floor(n), rem = n - p2, vr = weft__fold_vrank(r, n);
    uint32_t tmp[2] = {weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c),
                       weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c)};
    if (vr < 0) { /* folded out: hand the input over, get the result back */
        int32_t pre = weft__sched_send(s, r + 1, weft__region(0, 0, c), a->dt, NULL, 0);
        unfold(a, s, WEFT_NO_STEP, pre);
        return s->status;
    }
    weft_region_t cur = weft__region(0, 0, c); /* where this rank's value lives */
    int32_t cur_step = WEFT_NO_STEP, prev_send = WEFT_NO_STEP, first_send = WEFT_NO_STEP;
    if (r < 2 * rem) { /* absorb the even partner's input */
        cur_step = weft__sched_recv_reduce(s, r - 1, cur, weft__region(tmp[1], 0, c), a->dt,
                                           a->op, NULL, 0);
        cur = weft__region(tmp[1], 0, c);
    }
    int steps = weft__log2_ceil(p2);
    for (int i = 0; i < steps; i++) {
        int peer = weft__fold_rank(vr ^ (1 << i), n);
        int32_t snd = weft__sched_send(s, peer, cur, a->dt, &cur_step, 1);
        if (first_send == WEFT_NO_STEP)
            first_send = snd;
        /* The last step writes the receive buffer directly unless it reads
         * the send buffer (n == 2): in-place, that is the same memory. */
        int last = i == steps - 1 && cur.buf != 0;
        weft_region_t dst = last ? weft__region(1, 0, c) : weft__region(tmp[i % 2], 0, c);
        /* dst was read by the previous step's send (ping-pong); the receive
         * buffer may be the send buffer that the first send read. */
        int32_t deps[3] = {cur_step, prev_send, last && i > 0 ? first_send : WEFT_NO_STEP};
        cur_step = weft__sched_recv_reduce(s, peer, cur, dst, a->dt, a->op, deps, 3);
        prev_send = snd;
        cur = dst;
    }
    if (cur.buf != 1) {
        int32_t deps[2] = {cur_step, first_send};
        cur_step = weft__sched_copy(s, cur, weft__region(1, 0, c), a->dt, deps, 2);
        cur = weft__region(1, 0, c);
    }
    if (a->op == WEFT_AVG)
        cur_step = weft__sched_divide(s, cur, a->dt, (uint32_t)n, &cur_step, 1);
    if (r < 2 * rem)
        unfold(a, s, cur_step, WEFT_NO_STEP);
    return s->status;
}
