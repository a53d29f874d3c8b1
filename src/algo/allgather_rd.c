/*
 * allgather_rd.c - all-gather by recursive doubling of the data held, for
 * small blocks and any number of ranks (the dissemination pattern of
 * Bruck et al., without its final rotation).
 *
 * After step k rank r holds the blocks r, r+1, ..., r+2^(k+1)-1 (mod n).
 * In step k it sends the min(2^k, n-2^k) blocks starting at its own to rank
 * r-2^k and receives as many starting at block r+2^k from rank r+2^k, each
 * straight into its final place.  A run of blocks that wraps past n - 1
 * travels as two messages; sender and receiver cut it at the same block.
 *
 * Cost (S = n * count bytes): ceil(log2 n) alpha + (n-1)/n S beta.
 */
#include "algo/algo.h"
#include "algo/pattern.h"

/* Blocks [first, first + nb) mod n as at most two contiguous regions. */
static int block_run(const weft_coll_args_t *a, int first, int nb, weft_region_t out[2])
{
    uint64_t c = a->count;
    int n = a->nranks, k = 0;
    int head = nb < n - first ? nb : n - first;
    out[k++] = weft__region(1, (uint64_t)first * c, (uint64_t)head * c);
    if (nb > head)
        out[k++] = weft__region(1, 0, (uint64_t)(nb - head) * c);
    return k;
}

weft_status_t weft__gen_allgather_rd(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "rd";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count;
    int32_t have[2 * 32 + 1];
    int nhave = 0;
    have[nhave++] = weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, (uint64_t)r * c, c),
                                     a->dt, NULL, 0);
    if (c == 0)
        return s->status;
    for (int d = 1; d < n; d *= 2) {
        int nb = d < n - d ? d : n - d;
        int to = weft__mod(r - d, n), from = weft__mod(r + d, n);
        weft_region_t out[2], in[2];
        int nout = block_run(a, r, nb, out), nin = block_run(a, from, nb, in);
        for (int i = 0; i < nout; i++)
            weft__sched_send(s, to, out[i], a->dt, have, nhave);
        int32_t got[2];
        for (int i = 0; i < nin; i++)
            got[i] = weft__sched_recv(s, from, in[i], a->dt, NULL, 0);
        for (int i = 0; i < nin; i++)
            have[nhave++] = got[i];
    }
    return s->status;
}
