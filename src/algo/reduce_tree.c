/*
 * reduce_tree.c - binomial-tree reduce, for small messages.
 *
 * The broadcast tree run backwards (v = r - root mod n): a rank reduces
 * what its children v + 2^j send, for each 2^j below its lowest set bit,
 * smallest first, then sends the partial result to its parent.  The root
 * accumulates in its receive buffer, the others in scratch (their receive
 * buffer may be NULL); leaves send their input directly.
 *
 * Cost: ceil(log2 n) (alpha + S beta + S gamma).
 */
#include "algo/algo.h"
#include "algo/pattern.h"

weft_status_t weft__gen_reduce_tree(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "tree";
    int n = a->nranks, v = weft__mod(a->rank - a->root, n);
    uint64_t c = a->count;
    if (c == 0)
        return s->status;
    weft_region_t acc = v == 0 ? weft__region(1, 0, c)
                               : weft__region(weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c),
                                              0, c);
    weft_region_t cur = weft__region(0, 0, c);
    int32_t step = WEFT_NO_STEP;
    int mask = 1;
    for (; mask < n; mask <<= 1) {
        if (v & mask)
            break;
        if (v + mask < n) {
            int child = weft__mod(v + mask + a->root, n);
            step = weft__sched_recv_reduce(s, child, cur, acc, a->dt, a->op, &step, 1);
            cur = acc;
        }
    }
    if (v == 0) {
        if (cur.buf == 0) /* n == 1 */
            step = weft__sched_copy(s, cur, acc, a->dt, NULL, 0);
        if (a->op == WEFT_AVG)
            weft__sched_divide(s, acc, a->dt, (uint32_t)n, &step, 1);
    } else {
        weft__sched_send(s, weft__mod(v - mask + a->root, n), cur, a->dt, &step, 1);
    }
    return s->status;
}
