/*
 * reduce_scatter_halving.c - reduce-scatter by recursive halving (the first
 * half of Rabenseifner's all-reduce), for small and medium blocks.
 *
 * Among p2 ranks (other n folded as in pattern.h: an even rank of the first
 * 2*rem hands its whole input to its odd partner and gets its block back at
 * the end) virtual rank v is responsible for the blocks of the real ranks
 * folded into it.  In the step of distance d (p2/2, ..., 1) each rank
 * splits the range of virtual ranks it covers in two, sends its partner
 * the half the partner covers and reduces the half it keeps with what the
 * partner sends.  Partial sums live in a scratch vector; at the end each
 * rank copies its own block out, and a folded partner's block is sent on.
 *
 * Cost (S = n * count bytes): log2(p2) alpha + (p2-1)/p2 S beta (+ alpha +
 * S beta when folded).
 */
#include "algo/algo.h"
#include "algo/pattern.h"

/* First real block of virtual rank v (v == p2 gives n). */
static int vblock(int v, int n)
{
    int rem = n - weft__pow2_floor(n);
    return v < rem ? 2 * v : v + rem;
}

static weft_region_t vrange(const weft_coll_args_t *a, uint32_t buf, int vlo, int vhi)
{
    uint64_t lo = (uint64_t)vblock(vlo, a->nranks), hi = (uint64_t)vblock(vhi, a->nranks);
    return weft__region(buf, lo * a->count, (hi - lo) * a->count);
}

static int32_t halving(const weft_coll_args_t *a, weft_sched_t *s, uint32_t from, uint32_t work,
                       int32_t ready, int vr, int p2)
{
    int vlo = 0, vhi = p2, first = 1;
    int32_t cur = ready;
    for (int d = p2 / 2; d >= 1; d /= 2, first = 0) {
        int peer = weft__fold_rank(vr ^ d, a->nranks), mid = vlo + d;
        int klo = (vr & d) ? mid : vlo, khi = (vr & d) ? vhi : mid;
        int glo = (vr & d) ? vlo : mid, ghi = (vr & d) ? mid : vhi;
        uint32_t src = first ? from : work;
        weft__sched_send(s, peer, vrange(a, src, glo, ghi), a->dt, &cur, 1);
        cur = weft__sched_recv_reduce(s, peer, vrange(a, src, klo, khi),
                                      vrange(a, work, klo, khi), a->dt, a->op, &cur, 1);
        vlo = klo;
        vhi = khi;
    }
    if (a->op == WEFT_AVG)
        cur = weft__sched_divide(s, vrange(a, work, vr, vr + 1), a->dt, (uint32_t)a->nranks,
                                 &cur, 1);
    return cur;
}

weft_status_t weft__gen_reduce_scatter_halving(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "rabenseifner";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count, total = c * (uint64_t)n;
    weft_region_t mine = weft__region(1, 0, c);
    if (n == 1 || c == 0) {
        weft__sched_copy(s, weft__region(0, (uint64_t)r * c, c), mine, a->dt, NULL, 0);
        return s->status;
    }
    int p2 = weft__pow2_floor(n), rem = n - p2, vr = weft__fold_vrank(r, n);
    if (vr < 0) { /* folded out: hand the input over, get the block back */
        int32_t pre = weft__sched_send(s, r + 1, weft__region(0, 0, total), a->dt, NULL, 0);
        weft__sched_recv(s, r + 1, mine, a->dt, &pre, 1);
        return s->status;
    }
    uint32_t work = weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, total), from = 0;
    int32_t ready = WEFT_NO_STEP;
    if (r < 2 * rem) {
        ready = weft__sched_recv_reduce(s, r - 1, weft__region(0, 0, total),
                                        weft__region(work, 0, total), a->dt, a->op, NULL, 0);
        from = work;
    }
    int32_t done = halving(a, s, from, work, ready, vr, p2);
    weft__sched_copy(s, weft__region(work, (uint64_t)r * c, c), mine, a->dt, &done, 1);
    if (r < 2 * rem)
        weft__sched_send(s, r - 1, weft__region(work, (uint64_t)(r - 1) * c, c), a->dt, &done, 1);
    return s->status;
}
