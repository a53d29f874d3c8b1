/*
 * allreduce_oneshot.c - one-shot all-reduce: every rank sends its whole
 * vector to every other rank and reduces all n of them itself.
 *
 * One round: the n - 1 sends leave at once and every rank folds the
 * contributions in rank order as they arrive (direct.h), so every rank
 * holds bitwise the same result without a second exchange.  The sum
 * builds up in scratch and is copied into the receive buffer once every
 * send has left, since in place that buffer is the send buffer the sends
 * read; a rank's reduction never waits on its own sends, so ranks whose
 * sends complete only when read (single copy) cannot wait on each other.
 *
 * Cost: alpha + (n-1) S beta sent and received by every rank, and n - 1
 * reductions of S: the fewest rounds of any all-reduce, the most bytes.
 * For small vectors inside a node, where a round costs more than the
 * bytes (NCCL's and the CUDA IPC path's "one-shot").
 */
#include "algo/direct.h"

int32_t weft__direct_reduce(weft_sched_t *s, const weft_coll_args_t *a, weft_region_t mine,
                            weft_region_t acc)
{
    int n = a->nranks, r = a->rank;
    int32_t last;
    if (r <= 1) { /* t0 op t1, one of them this rank's */
        last = weft__sched_recv_reduce(s, 1 - r, mine, acc, a->dt, a->op, NULL, 0);
    } else {
        last = weft__sched_recv(s, 0, acc, a->dt, NULL, 0);
        last = weft__sched_recv_reduce(s, 1, acc, acc, a->dt, a->op, &last, 1);
    }
    for (int k = 2; k < n; k++) {
        if (k == r)
            last = weft__sched_reduce(s, acc, mine, acc, a->dt, a->op, &last, 1);
        else
            last = weft__sched_recv_reduce(s, k, acc, acc, a->dt, a->op, &last, 1);
    }
    return last;
}

weft_status_t weft__gen_allreduce_oneshot(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "oneshot";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count;
    weft_region_t in = weft__region(0, 0, c), out = weft__region(1, 0, c);
    if (n == 1 || c == 0) {
        weft__sched_copy(s, in, out, a->dt, NULL, 0);
        return s->status;
    }
    /* Staggered, so that rank 0 is not every rank's first destination. */
    for (int k = 1; k < n; k++)
        weft__sched_send(s, (r + k) % n, in, a->dt, NULL, 0);
    weft_region_t acc = weft__region(weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c), 0, c);
    int32_t last = weft__direct_reduce(s, a, in, acc);
    last = weft__sched_copy(s, acc, out, a->dt, &last, 1);
    if (a->op == WEFT_AVG)
        weft__sched_divide(s, out, a->dt, (uint32_t)n, &last, 1);
    return s->status;
}
