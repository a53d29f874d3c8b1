/*
 * broadcast_tree.c - binomial-tree broadcast, for small messages.
 *
 * Ranks are numbered relative to the root (v = r - root mod n).  A rank
 * receives from the rank that differs in its lowest set bit, then sends to
 * v + 2^j for every 2^j below that bit, largest first, so that the deepest
 * subtrees start earliest.  The root sends from the send buffer and copies
 * it into its receive buffer alongside.
 *
 * Cost: ceil(log2 n) (alpha + S beta).
 */
#include "algo/algo.h"
#include "algo/pattern.h"

weft_status_t weft__gen_broadcast_tree(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "tree";
    int n = a->nranks, v = weft__mod(a->rank - a->root, n);
    uint64_t c = a->count;
    weft_region_t data = weft__region(1, 0, c);
    int32_t got = WEFT_NO_STEP;
    int mask = 1;
    if (v == 0) {
        data = weft__region(0, 0, c);
        weft__sched_copy(s, data, weft__region(1, 0, c), a->dt, NULL, 0);
        while (mask < n)
            mask <<= 1;
    } else {
        while (!(v & mask))
            mask <<= 1;
        int parent = weft__mod(v - mask + a->root, n);
        got = weft__sched_recv(s, parent, data, a->dt, NULL, 0);
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (v + mask < n)
            weft__sched_send(s, weft__mod(v + mask + a->root, n), data, a->dt, &got, 1);
    }
    return s->status;
}
