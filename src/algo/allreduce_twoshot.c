/*
 * allreduce_twoshot.c - two-shot all-reduce: a direct reduce-scatter, then
 * a direct all-gather.
 *
 * The vector is cut into n blocks, block b owned by rank b.  Shot one:
 * every rank sends block b of its input to rank b, which folds the n
 * contributions in rank order (direct.h).  Shot two: every owner sends its
 * reduced block to every other rank.  Each block is reduced once, by its
 * owner, so all ranks hold bitwise the same result; AVG divides the block
 * before it goes out.
 *
 * Messages between two ranks pair in order: a's input block for b, then
 * a's reduced block, against b's receive in its reduction, then its
 * receive into the output.  In place, the receive of block b into the
 * output overwrites the input block b that was sent to rank b: the
 * builder orders it after that send.
 *
 * Cost: 2 alpha + 2 (n-1)/n S beta per rank -- the ring's bytes in two
 * rounds instead of 2 (n - 1) -- and (n-1)/n S reduced.  For medium
 * vectors inside a node: past one-shot's (n-1) S, short of where the
 * ring's pipelining pays.
 */
#include "algo/direct.h"
#include "algo/pattern.h"

weft_status_t weft__gen_allreduce_twoshot(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "twoshot";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count;
    if (n == 1 || c == 0) {
        weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, 0, c), a->dt, NULL, 0);
        return s->status;
    }
    for (int k = 1; k < n; k++) {
        int p = (r + k) % n;
        weft__sched_send(s, p, weft__region(0, weft__block_off(c, n, p), weft__block_count(c, n, p)),
                         a->dt, NULL, 0);
    }
    uint64_t off = weft__block_off(c, n, r), cnt = weft__block_count(c, n, r);
    weft_region_t acc = weft__region(weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, cnt), 0, cnt);
    int32_t last = weft__direct_reduce(s, a, weft__region(0, off, cnt), acc);
    if (a->op == WEFT_AVG)
        last = weft__sched_divide(s, acc, a->dt, (uint32_t)n, &last, 1);
    for (int k = 1; k < n; k++)
        weft__sched_send(s, (r + k) % n, acc, a->dt, &last, 1);
    weft__sched_copy(s, acc, weft__region(1, off, cnt), a->dt, &last, 1);
    for (int k = 1; k < n; k++) {
        int p = (r - k + n) % n;
        weft__sched_recv(s, p, weft__region(1, weft__block_off(c, n, p), weft__block_count(c, n, p)),
                         a->dt, NULL, 0);
    }
    return s->status;
}
