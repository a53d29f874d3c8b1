/*
 * verify.c - the schedule verifier: setup, structural checks, the race
 * check and the result check (see verify.h; the run itself is in
 * verify_sim.c).
 *
 * Race check: for each rank, ancestors[i] is the set of steps that step i
 * transitively depends on (a bitset).  Every memory access (step, space,
 * interval, read or write) is sorted by space and start; a sweep keeps the
 * accesses whose interval is still open, and every overlapping pair from
 * two different steps with at least one write must be ordered one way or
 * the other.
 */
#include "algo/verify_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void weft__verify_fail(verifier_t *v, const char *fmt, ...)
{
    if (v->status != WEFT_OK)
        return;
    v->status = WEFT_ERR_INTERNAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, v->msglen, fmt, ap);
    va_end(ap);
}

int weft__verify_combine(verifier_t *v, int rank, uint32_t step, sym_t *dst, sym_t a, sym_t b)
{
    const char *why = NULL;
    if (a.state == SYM_UNDEF || b.state == SYM_UNDEF)
        why = "reduces an element that holds no data";
    else if (a.state == SYM_DIVIDED || b.state == SYM_DIVIDED)
        why = "reduces an element after its AVG division";
    else if (a.idx != b.idx)
        why = "reduces two different elements together";
    else if (a.mask & b.mask)
        why = "counts a rank's contribution twice";
    if (why != NULL) {
        weft__verify_fail(v, "rank %d step %u %s (element %u + %u, ranks %#llx + %#llx)", rank,
                          step, why, a.idx, b.idx, (unsigned long long)a.mask,
                          (unsigned long long)b.mask);
        return -1;
    }
    dst->mask = a.mask | b.mask;
    dst->idx = a.idx;
    dst->state = SYM_VALID;
    return 0;
}

/* --- setup -------------------------------------------------------------- */

static void alias_in_place(const weft_verify_case_t *vc, int rank, vrank_t *vr)
{
    vmap_t *m = vr->map;
    switch (vc->coll) {
    case WEFT_COLL_ALLGATHER: m[0] = (vmap_t){1, (uint64_t)rank * vc->count}; break;
    case WEFT_COLL_REDUCE_SCATTER: m[1] = (vmap_t){0, (uint64_t)rank * vc->count}; break;
    case WEFT_COLL_ALLREDUCE:
    case WEFT_COLL_BROADCAST:
    case WEFT_COLL_REDUCE: m[0] = (vmap_t){1, 0}; break;
    default: break;
    }
}

static int setup_memory(verifier_t *v, int rank)
{
    vrank_t *vr = &v->ranks[rank];
    const weft_sched_t *s = &vr->sched;
    vr->map = calloc(s->nbufs, sizeof(*vr->map));
    vr->mem = calloc(s->nbufs, sizeof(*vr->mem));
    vr->space_len = calloc(s->nbufs, sizeof(*vr->space_len));
    if (!vr->map || !vr->mem || !vr->space_len)
        return -1;
    for (uint32_t b = 0; b < s->nbufs; b++)
        vr->map[b] = (vmap_t){b, 0};
    if (v->vc->in_place)
        alias_in_place(v->vc, rank, vr);
    for (uint32_t b = 0; b < s->nbufs; b++) {
        uint64_t end = vr->map[b].off + s->bufs[b].count;
        if (end > vr->space_len[vr->map[b].space])
            vr->space_len[vr->map[b].space] = end;
    }
    for (uint32_t sp = 0; sp < s->nbufs; sp++) {
        vr->mem[sp] = calloc(vr->space_len[sp] + 1, sizeof(sym_t));
        if (vr->mem[sp] == NULL)
            return -1;
    }
    /* The input: element i of this rank's send buffer is its contribution
     * to element i (written after aliasing, as the user would have). */
    sym_t *in = vr->mem[vr->map[0].space] + vr->map[0].off;
    for (uint64_t i = 0; i < s->bufs[0].count; i++)
        in[i] = (sym_t){1ull << rank, (uint32_t)i, SYM_VALID};
    return 0;
}

static weft_coll_args_t rank_args(const weft_verify_case_t *vc, int rank)
{
    weft_coll_args_t a = {vc->coll, rank,     vc->nranks, vc->count, WEFT_FLOAT32,
                          vc->op,   vc->root, vc->slice,  vc->layout};
    if (vc->coll == WEFT_COLL_SEND) { /* rank 0 sends to n-1, others idle */
        a.root = rank == 0 ? vc->nranks - 1 : 0;
        if (rank == vc->nranks - 1)
            a.coll = WEFT_COLL_RECV;
        else if (rank != 0)
            a.count = 0;
    }
    return a;
}

static int generate(verifier_t *v, const weft_algo_t *algo, int rank)
{
    weft_coll_args_t a = rank_args(v->vc, rank);
    vrank_t *vr = &v->ranks[rank];
    weft__sched_init(&vr->sched, rank, v->n);
    const weft_algo_t *use = algo;
    if (a.coll != algo->coll)
        use = weft__algo_find(a.coll, "direct");
    if (weft__algo_generate(use, &a, &vr->sched) != WEFT_OK) {
        weft__verify_fail(v, "rank %d: the generator failed", rank);
        return -1;
    }
    return 0;
}

/* --- structure ---------------------------------------------------------- */

static int region_ok(verifier_t *v, int rank, uint32_t i, const char *what, weft_region_t r)
{
    const weft_sched_t *s = &v->ranks[rank].sched;
    if (r.buf >= s->nbufs || r.off + r.count > s->bufs[r.buf].count) {
        weft__verify_fail(v, "rank %d step %u (%s): %s b%u[%llu+%llu] is outside the buffer "
                          "(%llu elements)", rank, i, weft__step_kind_name(s->steps[i].kind), what,
                          r.buf, (unsigned long long)r.off, (unsigned long long)r.count,
                          r.buf < s->nbufs ? (unsigned long long)s->bufs[r.buf].count : 0ull);
        return 0;
    }
    return 1;
}

static void check_structure(verifier_t *v, int rank)
{
    const weft_sched_t *s = &v->ranks[rank].sched;
    for (uint32_t i = 0; i < s->nsteps && v->status == WEFT_OK; i++) {
        const weft_step_t *st = &s->steps[i];
        int k = st->kind;
        if (k <= WEFT_STEP_RECV_REDUCE && (st->peer < 0 || st->peer >= v->n || st->peer == rank))
            weft__verify_fail(v, "rank %d step %u: bad peer %d", rank, i, st->peer);
        if (k != WEFT_STEP_RECV && k != WEFT_STEP_DIVIDE && !region_ok(v, rank, i, "src", st->src))
            return;
        if (k == WEFT_STEP_REDUCE && !region_ok(v, rank, i, "src2", st->src2))
            return;
        if (k != WEFT_STEP_SEND && !region_ok(v, rank, i, "dst", st->dst))
            return;
        int two = k == WEFT_STEP_RECV_REDUCE || k == WEFT_STEP_COPY || k == WEFT_STEP_REDUCE;
        if (two && (st->src.count != st->dst.count ||
                    (k == WEFT_STEP_REDUCE && st->src2.count != st->dst.count)))
            weft__verify_fail(v, "rank %d step %u: operands differ in size", rank, i);
        if (k == WEFT_STEP_DIVIDE && v->vc->op != WEFT_AVG)
            weft__verify_fail(v, "rank %d step %u: DIVIDE in a non-AVG reduction", rank, i);
    }
}

/* --- races -------------------------------------------------------------- */

typedef struct {
    uint32_t step, space;
    uint64_t lo, hi;
    int write;
} access_t;

static int cmp_access(const void *pa, const void *pb)
{
    const access_t *a = pa, *b = pb;
    if (a->space != b->space)
        return a->space < b->space ? -1 : 1;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int add_access(const vrank_t *vr, access_t *acc, int n, uint32_t step, weft_region_t r,
                      int write)
{
    if (r.count == 0)
        return n;
    vmap_t m = weft__verify_where(vr, r);
    acc[n] = (access_t){step, m.space, m.off, m.off + r.count, write};
    return n + 1;
}

static int same_memory(const vrank_t *vr, weft_region_t a, weft_region_t b)
{
    vmap_t ma = weft__verify_where(vr, a), mb = weft__verify_where(vr, b);
    return ma.space == mb.space && ma.off == mb.off && a.count == b.count;
}

static int collect_accesses(verifier_t *v, int rank, access_t *acc)
{
    const vrank_t *vr = &v->ranks[rank];
    const weft_sched_t *s = &vr->sched;
    int n = 0;
    for (uint32_t i = 0; i < s->nsteps; i++) {
        const weft_step_t *st = &s->steps[i];
        switch (st->kind) {
        case WEFT_STEP_SEND: n = add_access(vr, acc, n, i, st->src, 0); break;
        case WEFT_STEP_RECV:
        case WEFT_STEP_DIVIDE: n = add_access(vr, acc, n, i, st->dst, 1); break;
        case WEFT_STEP_COPY:
            if (same_memory(vr, st->src, st->dst))
                break; /* in-place copy onto itself: the executor skips it */
            /* fallthrough */
        case WEFT_STEP_RECV_REDUCE:
        case WEFT_STEP_REDUCE:
            if (!same_memory(vr, st->src, st->dst))
                n = add_access(vr, acc, n, i, st->src, 0);
            if (st->kind == WEFT_STEP_REDUCE && !same_memory(vr, st->src2, st->dst))
                n = add_access(vr, acc, n, i, st->src2, 0);
            n = add_access(vr, acc, n, i, st->dst, 1);
            break;
        }
    }
    return n;
}

static uint64_t *ancestors(const weft_sched_t *s, size_t words)
{
    uint64_t *anc = calloc((size_t)s->nsteps * words + 1, sizeof(uint64_t));
    if (anc == NULL)
        return NULL;
    for (uint32_t i = 0; i < s->nsteps; i++) {
        uint64_t *mine = anc + (size_t)i * words;
        for (uint32_t d = 0; d < s->steps[i].ndeps; d++) {
            uint32_t dep = s->deps[s->steps[i].dep_first + d];
            const uint64_t *theirs = anc + (size_t)dep * words;
            for (size_t w = 0; w < words; w++)
                mine[w] |= theirs[w];
            mine[dep / 64] |= 1ull << (dep % 64);
        }
    }
    return anc;
}

static int ordered(const uint64_t *anc, size_t words, uint32_t a, uint32_t b)
{
    return (anc[(size_t)b * words + a / 64] >> (a % 64) & 1) ||
           (anc[(size_t)a * words + b / 64] >> (b % 64) & 1);
}

static void check_races(verifier_t *v, int rank)
{
    const weft_sched_t *s = &v->ranks[rank].sched;
    size_t words = (s->nsteps + 63) / 64;
    access_t *acc = malloc(((size_t)s->nsteps * 3 + 1) * sizeof(*acc));
    int *open = malloc(((size_t)s->nsteps * 3 + 1) * sizeof(*open));
    uint64_t *anc = ancestors(s, words);
    if (acc == NULL || open == NULL || anc == NULL) {
        weft__verify_fail(v, "verifier out of memory");
        goto out_free;
    }
    int nacc = collect_accesses(v, rank, acc), nopen = 0;
    qsort(acc, (size_t)nacc, sizeof(*acc), cmp_access);
    for (int i = 0; i < nacc && v->status == WEFT_OK; i++) {
        int keep = 0;
        for (int j = 0; j < nopen; j++) {
            const access_t *o = &acc[open[j]];
            if (o->space != acc[i].space || o->hi <= acc[i].lo)
                continue; /* closed for good: accesses come sorted by start */
            open[keep++] = open[j];
            if (o->step == acc[i].step) {
                if (o->write || acc[i].write)
                    weft__verify_fail(v, "rank %d step %u (%s): operands partially overlap",
                                      rank, o->step, weft__step_kind_name(s->steps[o->step].kind));
                continue;
            }
            if ((o->write || acc[i].write) && !ordered(anc, words, o->step, acc[i].step))
                weft__verify_fail(v, "rank %d: race between step %u (%s) and step %u (%s) on "
                                  "space %u elements [%llu, %llu)", rank, o->step,
                                  weft__step_kind_name(s->steps[o->step].kind), acc[i].step,
                                  weft__step_kind_name(s->steps[acc[i].step].kind), o->space,
                                  (unsigned long long)acc[i].lo, (unsigned long long)acc[i].hi);
        }
        nopen = keep;
        open[nopen++] = i;
    }
out_free:
    free(acc);
    free(open);
    free(anc);
}

/* --- results ------------------------------------------------------------ */

/* Output elements of a reduction hold a sum, or a divided sum for AVG
 * (with one rank, dividing by 1 may or may not have happened). */
static int expect(verifier_t *v, int rank, uint64_t pos, sym_t got, uint64_t mask, uint64_t idx)
{
    weft_coll_t coll = v->vc->coll;
    int reduction = coll == WEFT_COLL_ALLREDUCE || coll == WEFT_COLL_REDUCE ||
                    coll == WEFT_COLL_REDUCE_SCATTER;
    uint8_t state = reduction && v->vc->op == WEFT_AVG ? SYM_DIVIDED : SYM_VALID;
    if (v->n == 1 && got.state != SYM_UNDEF)
        state = got.state;
    if (got.state == state && got.mask == mask && got.idx == idx)
        return 0;
    static const char *const names[] = {"no data", "undivided", "divided"};
    weft__verify_fail(v, "rank %d output element %llu: holds element %u of ranks %#llx (%s), "
                      "wants element %llu of ranks %#llx (%s)", rank, (unsigned long long)pos,
                      got.idx, (unsigned long long)got.mask, names[got.state],
                      (unsigned long long)idx, (unsigned long long)mask, names[state]);
    return -1;
}

static void check_results(verifier_t *v)
{
    const weft_verify_case_t *vc = v->vc;
    int n = v->n;
    uint64_t c = vc->count, all = n == 64 ? ~0ull : (1ull << n) - 1;
    for (int r = 0; r < n && v->status == WEFT_OK; r++) {
        vrank_t *vr = &v->ranks[r];
        const sym_t *out = vr->mem[vr->map[1].space] + vr->map[1].off;
        int bad = 0;
        switch (vc->coll) {
        case WEFT_COLL_ALLREDUCE:
            for (uint64_t i = 0; i < c && !bad; i++)
                bad = expect(v, r, i, out[i], all, i);
            break;
        case WEFT_COLL_ALLGATHER:
            for (uint64_t i = 0; i < c * (uint64_t)n && !bad; i++)
                bad = expect(v, r, i, out[i], 1ull << (i / c), i % c);
            break;
        case WEFT_COLL_REDUCE_SCATTER:
            for (uint64_t i = 0; i < c && !bad; i++)
                bad = expect(v, r, i, out[i], all, (uint64_t)r * c + i);
            break;
        case WEFT_COLL_BROADCAST:
            for (uint64_t i = 0; i < c && !bad; i++)
                bad = expect(v, r, i, out[i], 1ull << vc->root, i);
            break;
        case WEFT_COLL_REDUCE:
            for (uint64_t i = 0; i < c && r == vc->root && !bad; i++)
                bad = expect(v, r, i, out[i], all, i);
            break;
        case WEFT_COLL_SEND:
            for (uint64_t i = 0; i < c && r == n - 1 && !bad; i++)
                bad = expect(v, r, i, out[i], 1, i);
            break;
        case WEFT_COLL_BARRIER: {
            uint64_t heard = 1ull << r, want = n == 64 ? ~0ull : (1ull << n) - 1;
            for (uint32_t i = 0; i < vr->sched.nsteps; i++)
                heard |= vr->heard[i];
            if (heard != want)
                weft__verify_fail(v, "rank %d leaves the barrier having heard only from %#llx",
                                  r, (unsigned long long)heard);
            break;
        }
        default: break;
        }
    }
}

static void free_rank(vrank_t *vr)
{
    if (vr->mem != NULL) {
        for (uint32_t sp = 0; sp < vr->sched.nbufs; sp++)
            free(vr->mem[sp]);
    }
    free(vr->mem);
    free(vr->map);
    free(vr->space_len);
    free(vr->state);
    free(vr->remaining);
    free(vr->heard);
    for (int d = 0; d < 2; d++)
        free(vr->cursor[d]);
    weft__graph_free(&vr->graph);
    weft__sched_free(&vr->sched);
}

weft_status_t weft__verify(const weft_algo_t *algo, const weft_verify_case_t *vc, char *msg,
                           size_t msglen, weft_verify_stats_t *stats_p)
{
    verifier_t v = {vc, vc->nranks, NULL, msg, msglen, WEFT_OK};
    if (msglen > 0)
        msg[0] = '\0';
    if (vc->nranks < 1 || vc->nranks > WEFT_VERIFY_MAX_RANKS || vc->slice == 0) {
        weft__verify_fail(&v, "bad case: nranks %d, slice %llu", vc->nranks,
                          (unsigned long long)vc->slice);
        return v.status;
    }
    v.ranks = calloc((size_t)v.n, sizeof(*v.ranks));
    if (v.ranks == NULL)
        return WEFT_ERR_NO_MEMORY;
    for (int r = 0; r < v.n && v.status == WEFT_OK; r++) {
        if (generate(&v, algo, r) != 0)
            break;
        if (setup_memory(&v, r) != 0)
            weft__verify_fail(&v, "verifier out of memory");
        check_structure(&v, r);
        if (v.status == WEFT_OK)
            check_races(&v, r);
    }
    if (v.status == WEFT_OK)
        weft__verify_simulate(&v);
    if (v.status == WEFT_OK)
        check_results(&v);
    if (v.status == WEFT_OK && stats_p != NULL) {
        weft_verify_stats_t st = {0, 0, 0};
        for (int r = 0; r < v.n; r++) {
            st.max_steps = v.ranks[r].sched.nsteps > st.max_steps ? v.ranks[r].sched.nsteps
                                                                   : st.max_steps;
            st.max_sent = v.ranks[r].sent_elems > st.max_sent ? v.ranks[r].sent_elems : st.max_sent;
            st.max_msgs = v.ranks[r].nmsgs > st.max_msgs ? v.ranks[r].nmsgs : st.max_msgs;
        }
        *stats_p = st;
    }
    for (int r = 0; r < v.n; r++)
        free_rank(&v.ranks[r]);
    free(v.ranks);
    return v.status;
}
