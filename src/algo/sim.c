/*
 * sim.c - the simulator (see sim.h): a discrete-event run of every rank's
 * schedule graph.
 *
 * Events are step completions, kept in a binary heap by time.  When a
 * step's dependencies are all complete it is ready at the latest of their
 * times.  A local step runs on its rank's CPU (one at a time).  A send or
 * receive is posted at its ready time, in per-peer order as the executor
 * posts them; once a send and its receive are both posted, the transfer
 * is placed on the links: it starts when both are posted and both ends of
 * the link are free, occupies them for bytes / bandwidth, and arrives
 * alpha later.  Both steps complete at the arrival (plus the reduction for
 * a RECV_REDUCE).  A message of up to SIM_EAGER_BYTES does not wait for
 * its receive: its send completes once it has left, and the receive when
 * it is posted or when the data arrives, whichever is later.  (A one-shot
 * all-reduce posts each receive only after the one before it has been
 * reduced; pricing those as rendezvous charged it n - 1 latencies in a
 * row, 58 us for 8 ranks at 8 B, where it measured 15 against recursive
 * doubling's 17: docs/PERFORMANCE.md.)
 *
 * A network link may be shaped by a token bucket (burst_bytes > 0: cloud
 * instance limits, tc tbf): each NIC direction holds up to burst_bytes of
 * tokens, refilled at the link's bandwidth; a message takes tokens and
 * moves at peak_gbps while there are some, at the bandwidth after.  A
 * call is run from full buckets; but calls like it back to back -- a few
 * tens, SIM_BURST_CALLS: a benchmark row (weft-perf's 25 by default), a
 * training step's gradient buckets -- share one bucket's worth, so none
 * can be faster than the bytes its busiest NIC sends, less its share of
 * the bucket, at the link's rate.  The price is the larger of the two.
 * (Measured on the emulated cluster, 4 nodes x 2 rails: hier_rd at
 * 64 KiB took 541 us, its 64 KiB per NIC at the rate 524 us; a model that
 * charged every step alpha + bytes/rate said 790 and chose hier, 826 us.)
 */
#include "algo/sim.h"
#include "algo/graph.h"
#include "reduce/reduce.h"

#include <stdlib.h>
#include <string.h>

#define SIM_BURST_CALLS 32
/* Messages up to this size are eager: below the shm transport's
 * single-copy threshold they are copied into the receiver's slot FIFO, and
 * a socket's buffers take them, without waiting for the receive. */
#define SIM_EAGER_BYTES 65536

typedef struct {
    double t;
    int rank;
    uint32_t step;
} event_t;

typedef struct {
    weft_sched_t sched;
    weft_graph_t graph;
    uint32_t *remaining, *cursor[2];
    uint8_t *popped; /* its ready event has been processed: it may post */
    double *ready, *posted, *done;
    double *arrived; /* a receive's data came eagerly at this time; -1: not */
    double cpu_free, out_free[2], in_free[2]; /* [0] memory path, [1] NIC */
    double tokens[2], tokens_at[2];           /* NIC buckets: [0] out, [1] in */
    uint64_t sent_intra, sent_inter;
} srank_t;

typedef struct {
    const weft_cost_model_t *m;
    const weft_layout_t *layout;
    int n;
    srank_t *r;
    event_t *heap;
    size_t nheap, cap;
} sim_t;

static void push(sim_t *s, double t, int rank, uint32_t step)
{
    if (s->nheap == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        event_t *h = realloc(s->heap, cap * sizeof(*h));
        if (h == NULL)
            return; /* reported as an unfinished run */
        s->heap = h;
        s->cap = cap;
    }
    size_t i = s->nheap++;
    while (i > 0 && s->heap[(i - 1) / 2].t > t) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = (event_t){t, rank, step};
}

static event_t pop(sim_t *s)
{
    event_t top = s->heap[0], last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && s->heap[c + 1].t < s->heap[c].t)
            c++;
        if (s->heap[c].t >= last.t)
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap > 0)
        s->heap[i] = last;
    return top;
}

static double bytes_of(const weft_step_t *st, weft_region_t r)
{
    return (double)r.count * (double)weft__dtype_size((weft_datatype_t)st->dtype);
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

/* A step is complete at t: its successors may become ready. */
static void complete(sim_t *s, int rank, uint32_t i, double t);

/* The NIC bucket `dir` of rank r at time t, refilled since last seen. */
static double *bucket_at(const weft_cost_link_t *link, srank_t *r, int dir, double t)
{
    double *tok = &r->tokens[dir];
    *tok += (t - r->tokens_at[dir]) * link->bw_gbps * 1e3;
    if (*tok > link->burst_bytes)
        *tok = link->burst_bytes;
    r->tokens_at[dir] = t;
    return tok;
}

/* How long `bytes` occupy a network link from `start`: at peak speed for
 * what both ends' buckets hold, at the link's bandwidth for the rest. */
static double net_busy(const weft_cost_link_t *link, srank_t *from, srank_t *to, double bytes,
                       double start)
{
    double rate = link->bw_gbps * 1e3; /* GB/s -> bytes per us */
    if (link->burst_bytes <= 0 || link->peak_gbps <= link->bw_gbps)
        return bytes / rate;
    double *out = bucket_at(link, from, 0, start), *in = bucket_at(link, to, 1, start);
    double fast = bytes < *out ? bytes : *out;
    fast = fast < *in ? fast : *in;
    double busy = fast / (link->peak_gbps * 1e3) + (bytes - fast) / rate;
    /* Past the tokens the link runs at the refill rate: empty at the end. */
    *out = fast < bytes ? 0 : *out - bytes;
    *in = fast < bytes ? 0 : *in - bytes;
    from->tokens_at[0] = to->tokens_at[1] = start + busy;
    return busy;
}

/* Puts the bytes of a's send si to b on the links, starting no earlier
 * than `from`; *copied_p gets when they have left a.  Returns when they
 * arrive at b. */
static double move(sim_t *s, int a, uint32_t si, int b, double from, double *copied_p)
{
    srank_t *ra = &s->r[a], *rb = &s->r[b];
    const weft_step_t *snd = &ra->sched.steps[si];
    int net = s->layout != NULL && s->layout->node_of[a] != s->layout->node_of[b];
    const weft_cost_link_t *link = net ? &s->m->inter : &s->m->intra;
    double bytes = bytes_of(snd, snd->src);
    double start = max2(from, max2(ra->out_free[net], rb->in_free[net]));
    double busy = net ? net_busy(link, ra, rb, bytes, start) : bytes / (link->bw_gbps * 1e3);
    ra->out_free[net] = rb->in_free[net] = start + busy;
    if (net)
        ra->sent_inter += (uint64_t)bytes;
    else
        ra->sent_intra += (uint64_t)bytes;
    *copied_p = start + busy;
    return start + busy + link->alpha_us;
}

/* b's receive ri has its data at t (and is posted): it completes, after
 * its reduction for a RECV_REDUCE. */
static void deliver(sim_t *s, int b, uint32_t ri, double t)
{
    const weft_step_t *rcv = &s->r[b].sched.steps[ri];
    if (rcv->kind == WEFT_STEP_RECV_REDUCE)
        t += bytes_of(rcv, rcv->src) / (s->m->reduce_gbps * 1e3);
    complete(s, b, ri, t);
}

/* Both ends posted: the message moves, and completes both steps. */
static void transfer(sim_t *s, int a, uint32_t si, int b, uint32_t ri)
{
    double copied, from = max2(s->r[a].posted[si], s->r[b].posted[ri]);
    double arrive = move(s, a, si, b, from, &copied);
    complete(s, a, si, arrive);
    deliver(s, b, ri, arrive);
}

/* A small send whose receive is not posted yet leaves at once: the shm
 * FIFO and the socket buffers take it.  The receive completes when it is
 * posted, or when the data arrives if that is later (try_post). */
static void send_eager(sim_t *s, int a, uint32_t si, int b, uint32_t ri)
{
    double copied;
    s->r[b].arrived[ri] = move(s, a, si, b, s->r[a].posted[si], &copied);
    complete(s, a, si, copied);
}

static int eager(const srank_t *r, uint32_t si)
{
    const weft_step_t *st = &r->sched.steps[si];
    return bytes_of(st, st->src) <= SIM_EAGER_BYTES;
}

static void try_post(sim_t *s, int rank, int d, int peer)
{
    srank_t *r = &s->r[rank];
    uint32_t first = r->graph.q_first[d][peer], len = r->graph.q_first[d][peer + 1] - first;
    while (r->cursor[d][peer] < len) {
        uint32_t i = r->graph.q[d][first + r->cursor[d][peer]];
        if (!r->popped[i])
            return;
        double prev = r->cursor[d][peer] > 0
                          ? r->posted[r->graph.q[d][first + r->cursor[d][peer] - 1]]
                          : 0;
        r->posted[i] = max2(r->ready[i], prev);
        r->cursor[d][peer]++;
        /* Its counterpart: the same ordinal in the peer's opposite queue. */
        srank_t *p = &s->r[peer];
        uint32_t pf = p->graph.q_first[1 - d][rank], k = r->graph.ordinal[i];
        if (k < p->graph.q_first[1 - d][rank + 1] - pf) {
            uint32_t j = p->graph.q[1 - d][pf + k];
            if (p->posted[j] >= 0) {
                if (d == 0)
                    transfer(s, rank, i, peer, j);
                else if (r->arrived[i] >= 0) /* sent eagerly */
                    deliver(s, rank, i, max2(r->arrived[i], r->posted[i]));
                else
                    transfer(s, peer, j, rank, i);
            } else if (d == 0 && eager(r, i)) {
                send_eager(s, rank, i, peer, j);
            }
        }
    }
}

static void complete(sim_t *s, int rank, uint32_t i, double t)
{
    srank_t *r = &s->r[rank];
    r->done[i] = t;
    for (uint32_t k = r->graph.succ_first[i]; k < r->graph.succ_first[i + 1]; k++) {
        uint32_t j = r->graph.succ[k];
        r->ready[j] = max2(r->ready[j], t);
        if (--r->remaining[j] == 0)
            push(s, r->ready[j], rank, j);
    }
}

/* A step whose dependencies are complete, at time e.t. */
static void run_ready(sim_t *s, event_t e)
{
    srank_t *r = &s->r[e.rank];
    const weft_step_t *st = &r->sched.steps[e.step];
    if (weft__step_is_comm(st)) {
        r->popped[e.step] = 1;
        try_post(s, e.rank, weft__step_dir(st), st->peer);
        return;
    }
    double gbps = st->kind == WEFT_STEP_COPY ? s->m->copy_gbps : s->m->reduce_gbps;
    double start = max2(e.t, r->cpu_free);
    r->cpu_free = start + bytes_of(st, st->dst) / (gbps * 1e3);
    complete(s, e.rank, e.step, r->cpu_free);
}

static void free_ranks(sim_t *s)
{
    for (int i = 0; s->r != NULL && i < s->n; i++) {
        srank_t *r = &s->r[i];
        weft__sched_free(&r->sched);
        weft__graph_free(&r->graph);
        free(r->remaining);
        free(r->cursor[0]);
        free(r->cursor[1]);
        free(r->popped);
        free(r->ready);
        free(r->posted);
        free(r->done);
        free(r->arrived);
    }
    free(s->r);
    free(s->heap);
}

/* Generates rank i's schedule and the state to run it. */
static weft_status_t setup_rank(sim_t *s, const weft_algo_t *algo, const weft_coll_args_t *tmpl,
                                int i)
{
    srank_t *r = &s->r[i];
    weft_coll_args_t a = *tmpl;
    a.rank = i;
    weft__sched_init(&r->sched, i, s->n);
    weft_status_t st = weft__algo_generate(algo, &a, &r->sched);
    if (st == WEFT_OK)
        st = weft__graph_build(&r->graph, &r->sched, s->n);
    if (st != WEFT_OK)
        return st;
    uint32_t ns = r->sched.nsteps + 1;
    r->remaining = malloc(ns * sizeof(uint32_t));
    r->cursor[0] = calloc((size_t)s->n, sizeof(uint32_t));
    r->cursor[1] = calloc((size_t)s->n, sizeof(uint32_t));
    r->popped = calloc(ns, 1);
    r->ready = calloc(ns, sizeof(double));
    r->posted = malloc(ns * sizeof(double));
    r->done = malloc(ns * sizeof(double));
    r->arrived = malloc(ns * sizeof(double));
    if (!r->remaining || !r->cursor[0] || !r->cursor[1] || !r->popped || !r->ready ||
        !r->posted || !r->done || !r->arrived)
        return WEFT_ERR_NO_MEMORY;
    for (uint32_t k = 0; k < r->sched.nsteps; k++) {
        r->remaining[k] = r->sched.steps[k].ndeps;
        r->posted[k] = -1;
        r->done[k] = -1;
        r->arrived[k] = -1;
        if (r->remaining[k] == 0)
            push(s, 0, i, k);
    }
    return WEFT_OK;
}

/* Few slices per block are enough to model a pipeline; thousands cost
 * time and memory for nothing. */
static uint64_t coarse_slice(const weft_coll_args_t *a)
{
    uint64_t per_rank = a->coll == WEFT_COLL_ALLGATHER || a->coll == WEFT_COLL_REDUCE_SCATTER
                            ? a->count
                            : a->count / (uint64_t)a->nranks + 1;
    uint64_t coarse = per_rank / 4 + 1;
    return coarse > a->slice ? coarse : a->slice;
}

/* One run of every rank's schedule, NIC buckets full at 0. */
static weft_status_t simulate_once(const weft_algo_t *algo, const weft_coll_args_t *tmpl,
                                   const weft_cost_model_t *m, weft_sim_result_t *res_p)
{
    sim_t s;
    memset(&s, 0, sizeof(s));
    s.m = m;
    s.layout = tmpl->layout;
    s.n = tmpl->nranks;
    s.r = calloc((size_t)s.n, sizeof(*s.r));
    weft_coll_args_t a = *tmpl;
    a.slice = coarse_slice(tmpl);
    weft_status_t st = s.r != NULL ? WEFT_OK : WEFT_ERR_NO_MEMORY;
    for (int i = 0; i < s.n && st == WEFT_OK; i++) {
        st = setup_rank(&s, algo, &a, i);
        s.r[i].tokens[0] = s.r[i].tokens[1] = m->inter.burst_bytes;
    }
    while (st == WEFT_OK && s.nheap > 0)
        run_ready(&s, pop(&s));
    weft_sim_result_t res = {0, 0, 0, 0, 0};
    for (int i = 0; i < s.n && st == WEFT_OK; i++) {
        srank_t *r = &s.r[i];
        for (uint32_t k = 0; k < r->sched.nsteps; k++) {
            if (r->done[k] < 0) /* a deadlock the verifier would have caught */
                st = WEFT_ERR_INTERNAL;
            else if (r->done[k] > res.time_us)
                res.time_us = r->done[k];
        }
        res.intra_bytes += r->sent_intra;
        res.inter_bytes += r->sent_inter;
        res.max_inter_bytes = r->sent_inter > res.max_inter_bytes ? r->sent_inter
                                                                   : res.max_inter_bytes;
        res.max_steps = r->sched.nsteps > res.max_steps ? r->sched.nsteps : res.max_steps;
    }
    free_ranks(&s);
    if (st == WEFT_OK)
        *res_p = res;
    return st;
}

weft_status_t weft__simulate(const weft_algo_t *algo, const weft_coll_args_t *tmpl,
                             const weft_cost_model_t *m, weft_sim_result_t *res_p)
{
    weft_status_t st = simulate_once(algo, tmpl, m, res_p);
    if (st != WEFT_OK || m->inter.burst_bytes <= 0)
        return st;
    double beyond = (double)res_p->max_inter_bytes - m->inter.burst_bytes / SIM_BURST_CALLS;
    double rate_bound_us = beyond / (m->inter.bw_gbps * 1e3);
    if (rate_bound_us > res_p->time_us)
        res_p->time_us = rate_bound_us;
    return st;
}
