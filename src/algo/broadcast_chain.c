/*
 * broadcast_chain.c - pipelined chain broadcast, for large messages.
 *
 * Ranks form a chain from the root (v = r - root mod n; v sends to v+1).
 * The message moves in slices of at most args->slice elements, and a rank
 * forwards slice s as soon as it has it, so all links of the chain carry
 * data at once.
 *
 * Cost: (n - 2 + S/slice) (alpha + slice beta): close to S beta for
 * S >> (n - 2) slices, independent of n.
 */
#include "algo/algo.h"
#include "algo/pattern.h"
#include "util/compiler.h"

weft_status_t weft__gen_broadcast_chain(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "chain";
    int n = a->nranks, v = weft__mod(a->rank - a->root, n);
    int next = weft__mod(a->rank + 1, n), prev = weft__mod(a->rank - 1, n);
    uint64_t c = a->count, nsl = weft__nslices(c, a->slice);
    if (v == 0)
        weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, 0, c), a->dt, NULL, 0);
    for (uint64_t sl = 0; sl < nsl; sl++) {
        uint64_t lo = sl * a->slice, len = WEFT_MIN(a->slice, c - lo);
        int32_t got = WEFT_NO_STEP;
        if (v > 0)
            got = weft__sched_recv(s, prev, weft__region(1, lo, len), a->dt, NULL, 0);
        if (v < n - 1)
            weft__sched_send(s, next, weft__region(v == 0 ? 0 : 1, lo, len), a->dt, &got, 1);
    }
    return s->status;
}
