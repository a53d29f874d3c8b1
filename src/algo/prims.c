/*
 * prims.c - the ring phases (see prims.h).
 *
 * Reduce-scatter, with b(k) = me + shift - 1 - k: in round k (0..n-2) a
 * member sends block b(k) -- its own contribution in round 0, the partial
 * sum it received the round before afterwards -- and receives block
 * b(k) - 1, adding its contribution.  The last block it receives is
 * me + shift - n = me + shift.  All-gather runs the same rotation with
 * plain receives, starting from the block the member holds.  Within a
 * round, blocks go part by part and slice by slice, the same order on
 * both sides.
 */
#include "algo/prims.h"
#include "algo/pattern.h"

static void split_part(const weft_blocks_t *bl, int block, int part, uint64_t *off_p,
                       uint64_t *count_p)
{
    (void)part;
    *off_p = bl->off + weft__block_off(bl->count, bl->n, (uint64_t)block);
    *count_p = weft__block_count(bl->count, bl->n, (uint64_t)block);
}

weft_blocks_t weft__blocks_split(uint64_t off, uint64_t count, int n)
{
    weft_blocks_t bl = {1, split_part, NULL, off, count, (uint64_t)n};
    return bl;
}

/* Calls fn for every slice of every part of a block. */
typedef void (*slice_fn)(const weft_group_t *g, void *arg, uint64_t off, uint64_t len);

static void each_slice(const weft_group_t *g, const weft_blocks_t *bl, int block, slice_fn fn,
                       void *arg)
{
    for (int j = 0; j < bl->nparts; j++) {
        uint64_t off, count;
        bl->part(bl, block, j, &off, &count);
        for (uint64_t lo = 0; lo < count; lo += g->slice)
            fn(g, arg, off + lo, count - lo < g->slice ? count - lo : g->slice);
    }
}

typedef struct {
    uint32_t buf, in;
    int peer;
    uint32_t divisor;
} slice_arg_t;

static void send_slice(const weft_group_t *g, void *arg, uint64_t off, uint64_t len)
{
    const slice_arg_t *a = arg;
    weft__sched_send(g->s, a->peer, weft__region(a->buf, off, len), g->dt, NULL, 0);
}

static void recv_slice(const weft_group_t *g, void *arg, uint64_t off, uint64_t len)
{
    const slice_arg_t *a = arg;
    weft__sched_recv(g->s, a->peer, weft__region(a->buf, off, len), g->dt, NULL, 0);
}

static void recv_reduce_slice(const weft_group_t *g, void *arg, uint64_t off, uint64_t len)
{
    const slice_arg_t *a = arg;
    weft__sched_recv_reduce(g->s, a->peer, weft__region(a->in, off, len),
                            weft__region(a->buf, off, len), g->dt, g->op, NULL, 0);
}

static void divide_slice(const weft_group_t *g, void *arg, uint64_t off, uint64_t len)
{
    const slice_arg_t *a = arg;
    weft__sched_divide(g->s, weft__region(a->buf, off, len), g->dt, a->divisor, NULL, 0);
}

static void copy_slice(const weft_group_t *g, void *arg, uint64_t off, uint64_t len)
{
    const slice_arg_t *a = arg;
    weft__sched_copy(g->s, weft__region(a->in, off, len), weft__region(a->buf, off, len), g->dt,
                     NULL, 0);
}

void weft__ring_reduce_scatter(const weft_group_t *g, const weft_blocks_t *bl, uint32_t in,
                               uint32_t out, int shift)
{
    int n = g->n;
    slice_arg_t snd = {0, 0, g->ranks[weft__mod(g->me + 1, n)], 0};
    slice_arg_t rcv = {out, in, g->ranks[weft__mod(g->me - 1, n)], 0};
    if (n == 1 && in != out) { /* a group of one: the sum is the input */
        slice_arg_t cp = {out, in, 0, 0};
        each_slice(g, bl, 0, copy_slice, &cp);
    }
    for (int k = 0; k < n - 1; k++) {
        int sb = weft__mod(g->me + shift - 1 - k, n), rb = weft__mod(sb - 1, n);
        snd.buf = k == 0 ? in : out;
        each_slice(g, bl, sb, send_slice, &snd);
        each_slice(g, bl, rb, recv_reduce_slice, &rcv);
    }
}

void weft__ring_allgather(const weft_group_t *g, const weft_blocks_t *bl, uint32_t buf, int shift)
{
    int n = g->n;
    slice_arg_t snd = {buf, 0, g->ranks[weft__mod(g->me + 1, n)], 0};
    slice_arg_t rcv = {buf, 0, g->ranks[weft__mod(g->me - 1, n)], 0};
    for (int k = 0; k < n - 1; k++) {
        int sb = weft__mod(g->me + shift - k, n), rb = weft__mod(sb - 1, n);
        each_slice(g, bl, sb, send_slice, &snd);
        each_slice(g, bl, rb, recv_slice, &rcv);
    }
}

void weft__divide_block(const weft_group_t *g, const weft_blocks_t *bl, uint32_t buf, int shift,
                        uint32_t divisor)
{
    slice_arg_t a = {buf, 0, 0, divisor};
    each_slice(g, bl, weft__mod(g->me + shift, g->n), divide_slice, &a);
}

void weft__copy_block(const weft_group_t *g, const weft_blocks_t *bl, uint32_t in, uint32_t out,
                      int block)
{
    slice_arg_t a = {out, in, 0, 0};
    each_slice(g, bl, block, copy_slice, &a);
}
