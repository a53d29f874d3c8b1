/*
 * reduce_chain.c - pipelined chain reduce, for large messages.
 *
 * Ranks form a chain ending at the root (v = r - root mod n; v sends to
 * v-1).  The last rank sends its input; every other rank adds its input to
 * each slice as it arrives and passes it on, the root adding into its
 * receive buffer.  Slices of at most args->slice elements keep all links
 * busy at once.
 *
 * Cost: (n - 2 + S/slice) (alpha + slice beta + slice gamma).
 */
#include "algo/algo.h"
#include "algo/pattern.h"
#include "util/compiler.h"

weft_status_t weft__gen_reduce_chain(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "chain";
    int n = a->nranks, v = weft__mod(a->rank - a->root, n);
    int next = weft__mod(a->rank + 1, n), prev = weft__mod(a->rank - 1, n);
    uint64_t c = a->count, nsl = weft__nslices(c, a->slice);
    if (n == 1) {
        int32_t cp = weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, 0, c), a->dt,
                                      NULL, 0);
        if (a->op == WEFT_AVG)
            weft__sched_divide(s, weft__region(1, 0, c), a->dt, 1, &cp, 1);
        return s->status;
    }
    uint32_t acc = v == 0 ? 1 : (v < n - 1 ? weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c) : 0);
    for (uint64_t sl = 0; sl < nsl; sl++) {
        uint64_t lo = sl * a->slice, len = WEFT_MIN(a->slice, c - lo);
        int32_t step = WEFT_NO_STEP;
        if (v < n - 1)
            step = weft__sched_recv_reduce(s, next, weft__region(0, lo, len),
                                           weft__region(acc, lo, len), a->dt, a->op, NULL, 0);
        if (v > 0)
            weft__sched_send(s, prev, weft__region(acc, lo, len), a->dt, &step, 1);
        else if (a->op == WEFT_AVG)
            weft__sched_divide(s, weft__region(1, lo, len), a->dt, (uint32_t)n, &step, 1);
    }
    return s->status;
}
