/*
 * mr_coll.c - laying out, issuing and checking one collective case (see
 * mr_coll.h).
 *
 * A rank's buffers live in at most two areas: area 0 holds the send side
 * (or the one buffer of an in-place call), area 1 the receive side.  Each
 * area is described by ranges of what it holds before the call and what
 * it must hold after: this rank's INPUT (elements first.. of what mr_fill
 * gives it), POISON (bytes the call must leave or overwrite), or the
 * OUTPUT (elements first.. of the expected result).
 */
#include "multirank/mr_coll.h"
#include "multirank/mr_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_BYTES 256
#define MAX_RANGES 3

typedef enum { R_INPUT, R_POISON, R_OUTPUT } range_kind_t;

typedef struct {
    range_kind_t kind;
    size_t off, count; /* elements, within the area */
    size_t first;      /* INPUT: input element index; OUTPUT: output element index */
} range_t;

typedef struct {
    int present;
    size_t count;
    int nbefore, nafter;
    range_t before[MAX_RANGES], after[MAX_RANGES];
    const char *name;
} area_t;

typedef struct {
    area_t area[2];
    int send_area, recv_area; /* -1: pass NULL */
    size_t send_off, recv_off;
} plan_t;

typedef struct {
    unsigned char *mem;
    size_t cap;
} region_t;

typedef struct {
    region_t area[2], scratch, expect;
    long expect_key; /* case id * 4096 + rank (or 4095): what expect holds */
    plan_t plan;
    unsigned char *start[2];
    void *sendbuf, *recvbuf;
} state_t;

static const char *const coll_names[MR_NUM_COLLS] = {"allreduce", "allgather", "reduce_scatter",
                                                     "broadcast", "reduce"};

const char *mr_coll_name(mr_coll_t coll)
{
    return coll_names[coll];
}

int mr_coll_parse(const char *name, mr_coll_t *coll_p)
{
    for (int c = 0; c < MR_NUM_COLLS; c++) {
        if (strcmp(name, coll_names[c]) == 0) {
            *coll_p = (mr_coll_t)c;
            return 0;
        }
    }
    return -1;
}

int mr_coll_has_op(mr_coll_t coll)
{
    return coll == MR_ALLREDUCE || coll == MR_REDUCE_SCATTER || coll == MR_REDUCE;
}

int mr_coll_has_root(mr_coll_t coll)
{
    return coll == MR_BROADCAST || coll == MR_REDUCE;
}

const char *mr_forced_algo(mr_coll_t coll, const char *forced)
{
    if (forced == NULL || forced[0] == '\0')
        return NULL;
    int rooted = mr_coll_has_root(coll);
    if (strcmp(forced, "ring") == 0)
        return rooted ? "chain" : "ring";
    if (strcmp(forced, "chain") == 0 || strcmp(forced, "tree") == 0)
        return rooted ? forced : NULL;
    if (strcmp(forced, "rd") == 0)
        return coll == MR_ALLREDUCE || coll == MR_ALLGATHER ? "rd" : NULL;
    if (strcmp(forced, "rabenseifner") == 0)
        return coll == MR_ALLREDUCE || coll == MR_REDUCE_SCATTER ? "rabenseifner" : NULL;
    if (strcmp(forced, "hier") == 0)
        return rooted ? NULL : "hier";
    if (strcmp(forced, "hier_hd") == 0 || strcmp(forced, "hier_rd") == 0 ||
        strcmp(forced, "dbt") == 0 || strcmp(forced, "oneshot") == 0 ||
        strcmp(forced, "twoshot") == 0)
        return coll == MR_ALLREDUCE ? forced : NULL;
    return NULL;
}

void mr_case_describe(const mr_case_t *c, char *buf, size_t len)
{
    char root[24] = "";
    if (mr_coll_has_root(c->coll))
        snprintf(root, sizeof(root), " root %d", c->root);
    snprintf(buf, len, "%s %s%s%s %s count %zu%s (case %u)", mr_coll_name(c->coll),
             mr_dtype_name(c->dt), mr_coll_has_op(c->coll) ? " " : "",
             mr_coll_has_op(c->coll) ? mr_op_name(c->op) : "",
             c->inplace ? "in-place" : "out-of-place", c->count, root, c->id);
}

/* --- planning ------------------------------------------------------------- */

static void add(range_t *list, int *n, range_kind_t kind, size_t off, size_t count, size_t first)
{
    if (count > 0)
        list[(*n)++] = (range_t){kind, off, count, first};
}

/* Area i holds `count` elements: `before` of one kind, `after` of another. */
static void simple(plan_t *pl, int i, const char *name, size_t count, range_kind_t before,
                   range_kind_t after)
{
    area_t *a = &pl->area[i];
    *a = (area_t){1, count, 0, 0, {{0}}, {{0}}, name};
    add(a->before, &a->nbefore, before, 0, count, 0);
    add(a->after, &a->nafter, after, 0, count, 0);
}

static void plan_inplace(const mr_case_t *c, int me, int n, plan_t *pl)
{
    size_t k = c->count, all = k * (size_t)n;
    area_t *a = &pl->area[0];
    pl->send_area = pl->recv_area = 0;
    switch (c->coll) {
    case MR_ALLGATHER:
        *a = (area_t){1, all, 0, 0, {{0}}, {{0}}, "recvbuf (in place)"};
        add(a->before, &a->nbefore, R_POISON, 0, k * (size_t)me, 0);
        add(a->before, &a->nbefore, R_INPUT, k * (size_t)me, k, 0);
        add(a->before, &a->nbefore, R_POISON, k * (size_t)(me + 1), all - k * (size_t)(me + 1), 0);
        add(a->after, &a->nafter, R_OUTPUT, 0, all, 0);
        pl->send_off = k * (size_t)me;
        break;
    case MR_REDUCE_SCATTER:
        *a = (area_t){1, all, 0, 0, {{0}}, {{0}}, "sendbuf (in place)"};
        add(a->before, &a->nbefore, R_INPUT, 0, all, 0);
        add(a->after, &a->nafter, R_INPUT, 0, k * (size_t)me, 0);
        add(a->after, &a->nafter, R_OUTPUT, k * (size_t)me, k, 0);
        add(a->after, &a->nafter, R_INPUT, k * (size_t)(me + 1), all - k * (size_t)(me + 1),
            k * (size_t)(me + 1));
        pl->recv_off = k * (size_t)me;
        break;
    case MR_BROADCAST:
        simple(pl, 0, "buffer (in place)", k, me == c->root ? R_INPUT : R_POISON, R_OUTPUT);
        break;
    case MR_REDUCE:
        simple(pl, 0, "buffer (in place)", k, R_INPUT, me == c->root ? R_OUTPUT : R_INPUT);
        break;
    default:
        simple(pl, 0, "buffer (in place)", k, R_INPUT, R_OUTPUT);
        break;
    }
}

static void plan_apart(const mr_case_t *c, int me, int n, plan_t *pl)
{
    size_t k = c->count, all = k * (size_t)n;
    int root = me == c->root, odd = c->id & 1;
    pl->send_area = 0;
    pl->recv_area = 1;
    switch (c->coll) {
    case MR_ALLGATHER:
        simple(pl, 0, "sendbuf", k, R_INPUT, R_INPUT);
        simple(pl, 1, "recvbuf", all, R_POISON, R_OUTPUT);
        break;
    case MR_REDUCE_SCATTER:
        simple(pl, 0, "sendbuf", all, R_INPUT, R_INPUT);
        simple(pl, 1, "recvbuf", k, R_POISON, R_OUTPUT);
        break;
    case MR_BROADCAST:
        /* A non-root's sendbuf is ignored: NULL, or poison that must stay. */
        simple(pl, 0, "sendbuf", k, root ? R_INPUT : R_POISON, root ? R_INPUT : R_POISON);
        simple(pl, 1, "recvbuf", k, R_POISON, R_OUTPUT);
        if (!root && !odd)
            pl->send_area = -1, pl->area[0].present = 0;
        break;
    case MR_REDUCE:
        /* A non-root's recvbuf is not written: NULL, or poison that must stay. */
        simple(pl, 0, "sendbuf", k, R_INPUT, R_INPUT);
        simple(pl, 1, "recvbuf", k, R_POISON, root ? R_OUTPUT : R_POISON);
        if (!root && !odd)
            pl->recv_area = -1, pl->area[1].present = 0;
        break;
    default:
        simple(pl, 0, "sendbuf", k, R_INPUT, R_INPUT);
        simple(pl, 1, "recvbuf", k, R_POISON, R_OUTPUT);
        break;
    }
}

static void plan(const mr_case_t *c, int me, int n, plan_t *pl)
{
    memset(pl, 0, sizeof(*pl));
    if (c->inplace)
        plan_inplace(c, me, n, pl);
    else
        plan_apart(c, me, n, pl);
}

/* --- buffers -------------------------------------------------------------- */

static state_t *state_of(mr_rank_t *rk)
{
    if (rk->user == NULL) {
        rk->user = calloc(1, sizeof(state_t));
        ((state_t *)rk->user)->expect_key = -1;
    }
    return rk->user;
}

static unsigned char *reserve(region_t *r, size_t bytes)
{
    if (bytes > r->cap) {
        free(r->mem);
        r->cap = bytes + bytes / 4;
        r->mem = malloc(r->cap);
        if (r->mem == NULL) {
            fprintf(stderr, "FATAL out of memory (%zu bytes)\n", r->cap);
            exit(MR_EXIT_FAIL);
        }
    }
    return r->mem;
}

void mr_case_free(mr_rank_t *rk)
{
    state_t *s = rk->user;
    if (s == NULL)
        return;
    free(s->area[0].mem);
    free(s->area[1].mem);
    free(s->scratch.mem);
    free(s->expect.mem);
    free(s);
    rk->user = NULL;
}

static unsigned char poison_byte(const mr_case_t *c)
{
    return (unsigned char)(0x5b + 0x26 * (c->id & 7));
}
static unsigned char guard_byte(int area)
{
    return area ? 0xe7 : 0xd3;
}

static mr_vals_t input_vals(const mr_case_t *c)
{
    return mr_coll_has_op(c->coll) ? mr_vals_for_op(c->op) : MR_VALS_RAW;
}

/* Writes the "before" ranges of each area, with guards around it. */
void mr_case_setup(mr_rank_t *rk, const mr_case_t *c)
{
    state_t *s = state_of(rk);
    size_t es = mr_dtype_size(c->dt), shift = (c->id % 4) * es;
    plan(c, rk->rank, rk->nranks, &s->plan);
    for (int i = 0; i < 2; i++) {
        const area_t *a = &s->plan.area[i];
        if (!a->present)
            continue;
        size_t bytes = a->count * es;
        unsigned char *mem = reserve(&s->area[i], GUARD_BYTES + shift + bytes + GUARD_BYTES);
        unsigned char *start = mem + GUARD_BYTES + shift;
        s->start[i] = start;
        memset(start - GUARD_BYTES, guard_byte(i), GUARD_BYTES);
        memset(start + bytes, guard_byte(i), GUARD_BYTES);
        for (int r = 0; r < a->nbefore; r++) {
            const range_t *rg = &a->before[r];
            unsigned char *p = start + rg->off * es;
            if (rg->kind == R_INPUT)
                mr_fill(p, rg->count, rg->first, c->dt, input_vals(c), rk->rank, c->salt);
            else
                memset(p, poison_byte(c), rg->count * es);
        }
    }
    const plan_t *pl = &s->plan;
    int null_ok = c->count == 0 && (c->id & 2);
    s->sendbuf = pl->send_area < 0 || null_ok ? NULL : s->start[pl->send_area] + pl->send_off * es;
    s->recvbuf = pl->recv_area < 0 || null_ok ? NULL : s->start[pl->recv_area] + pl->recv_off * es;
}

/* The expected output of rank `me`, cached across ranks when they agree. */
static const unsigned char *expected(mr_rank_t *cache_rk, const mr_case_t *c, int me, int n)
{
    state_t *s = state_of(cache_rk);
    size_t es = mr_dtype_size(c->dt), k = c->count;
    int per_rank = c->coll == MR_REDUCE_SCATTER;
    long key = (long)c->id * 4096 + (per_rank ? me : 4095);
    size_t out = c->coll == MR_ALLGATHER ? k * (size_t)n : k;
    unsigned char *e = reserve(&s->expect, out * es + 1);
    if (s->expect_key == key)
        return e;
    switch (c->coll) {
    case MR_ALLGATHER:
        for (int p = 0; p < n; p++)
            mr_fill(e + (size_t)p * k * es, k, 0, c->dt, MR_VALS_RAW, p, c->salt);
        break;
    case MR_BROADCAST:
        mr_fill(e, k, 0, c->dt, MR_VALS_RAW, c->root, c->salt);
        break;
    case MR_REDUCE_SCATTER:
        mr_expect_reduce(e, k, k * (size_t)me, c->dt, c->op, n, c->salt);
        break;
    default:
        mr_expect_reduce(e, k, 0, c->dt, c->op, n, c->salt);
        break;
    }
    s->expect_key = key;
    return e;
}

/* MR_INJECT=result|input|guard|poison corrupts one byte of rank 0's
 * buffers after the call, in every case with count > 1: the self-test
 * that the checks see it (ctest runs it expecting failure). */
static void inject(mr_rank_t *rk, const mr_case_t *c)
{
    const char *what = getenv("MR_INJECT") ? getenv("MR_INJECT") : "";
    state_t *s = rk->user;
    if (what[0] == '\0' || rk->rank != 0 || c->count < 2)
        return;
    size_t es = mr_dtype_size(c->dt);
    for (int i = 0; i < 2; i++) {
        const area_t *a = &s->plan.area[i];
        for (int r = 0; a->present && r < a->nafter; r++) {
            const range_t *rg = &a->after[r];
            unsigned char *p = s->start[i] + (rg->off + rg->count / 2) * es;
            if ((strcmp(what, "result") == 0 && rg->kind == R_OUTPUT) ||
                (strcmp(what, "input") == 0 && rg->kind == R_INPUT) ||
                (strcmp(what, "poison") == 0 && rg->kind == R_POISON)) {
                *p ^= 0x10;
                return;
            }
        }
        if (a->present && strcmp(what, "guard") == 0) {
            s->start[i][a->count * es + GUARD_BYTES - 1] ^= 1;
            return;
        }
    }
}

/* --- checking ------------------------------------------------------------- */

static const char *kind_text(range_kind_t kind)
{
    switch (kind) {
    case R_INPUT:
        return "the input, which must not change";
    case R_POISON:
        return "bytes the call must not write";
    default:
        return "the result";
    }
}

static void check_range(mr_rank_t *rk, mr_rank_t *cache_rk, const mr_case_t *c, int i,
                        const range_t *rg, const char *what)
{
    state_t *s = rk->user;
    size_t es = mr_dtype_size(c->dt);
    const unsigned char *got = s->start[i] + rg->off * es, *want;
    if (rg->kind == R_OUTPUT) {
        want = expected(cache_rk, c, rk->rank, rk->nranks) + rg->first * es;
    } else {
        unsigned char *tmp = reserve(&s->scratch, rg->count * es);
        if (rg->kind == R_INPUT)
            mr_fill(tmp, rg->count, rg->first, c->dt, input_vals(c), rk->rank, c->salt);
        else
            memset(tmp, poison_byte(c), rg->count * es);
        want = tmp;
    }
    size_t ndiff, j = mr_first_diff(got, want, rg->count, es, &ndiff);
    if (j == rg->count)
        return;
    char g[80], w[80];
    mr_format_elem(g, sizeof(g), got + j * es, c->dt);
    mr_format_elem(w, sizeof(w), want + j * es, c->dt);
    mr_fail(rk,
            "%s [algo %s]: %s element %zu (%s): got %s, expected %s; %zu of %zu elements "
            "there differ",
            what, weft_comm_last_algo(rk->comm), s->plan.area[i].name, rg->off + j,
            kind_text(rg->kind), g, w, ndiff, rg->count);
}

static void check_guards(mr_rank_t *rk, const mr_case_t *c, int i, const char *what)
{
    state_t *s = rk->user;
    size_t bytes = s->plan.area[i].count * mr_dtype_size(c->dt);
    const unsigned char *sides[2] = {s->start[i] - GUARD_BYTES, s->start[i] + bytes};
    for (int side = 0; side < 2; side++) {
        int bad = 0, first = -1;
        for (int b = 0; b < GUARD_BYTES; b++) {
            if (sides[side][b] != guard_byte(i)) {
                bad++;
                first = first < 0 ? b : first;
            }
        }
        if (bad)
            mr_fail(rk,
                    "%s [algo %s]: %d of the %d guard bytes %s %s were written (first at "
                    "offset %d: 0x%02x)",
                    what, weft_comm_last_algo(rk->comm), bad, GUARD_BYTES,
                    side ? "after" : "before", s->plan.area[i].name, first, sides[side][first]);
    }
}

void mr_case_check(mr_rank_t *rk, mr_rank_t *cache_rk, const mr_case_t *c, const char *forced_algo)
{
    char what[160];
    mr_case_describe(c, what, sizeof(what));
    inject(rk, c);
    state_t *s = rk->user;
    for (int i = 0; i < 2; i++) {
        const area_t *a = &s->plan.area[i];
        if (!a->present)
            continue;
        for (int r = 0; r < a->nafter; r++)
            check_range(rk, cache_rk, c, i, &a->after[r], what);
        check_guards(rk, c, i, what);
    }
    const char *want = mr_forced_algo(c->coll, forced_algo);
    const char *got = weft_comm_last_algo(rk->comm);
    if (want != NULL && c->count > 0 && strcmp(got, want) != 0)
        mr_fail(rk, "%s: weft_comm_last_algo says %s, but WEFT_ALGO=%s forces %s", what, got,
                forced_algo, want);
}

int mr_check_equal(mr_rank_t *rk, const char *what, const void *got, const void *want, size_t count,
                   weft_datatype_t dt)
{
    size_t es = mr_dtype_size(dt), ndiff, j = mr_first_diff(got, want, count, es, &ndiff);
    if (j == count)
        return 1;
    char g[80], w[80];
    mr_format_elem(g, sizeof(g), (const char *)got + j * es, dt);
    mr_format_elem(w, sizeof(w), (const char *)want + j * es, dt);
    mr_fail(rk, "%s: element %zu of %zu: got %s, expected %s; %zu elements differ", what, j, count,
            g, w, ndiff);
    return 0;
}

/* --- issuing -------------------------------------------------------------- */

weft_status_t mr_case_issue(mr_rank_t *rk, const mr_case_t *c)
{
    state_t *s = rk->user;
    switch (c->coll) {
    case MR_ALLREDUCE:
        return weft_allreduce(s->sendbuf, s->recvbuf, c->count, c->dt, c->op, rk->comm, NULL);
    case MR_ALLGATHER:
        return weft_allgather(s->sendbuf, s->recvbuf, c->count, c->dt, rk->comm, NULL);
    case MR_REDUCE_SCATTER:
        return weft_reduce_scatter(s->sendbuf, s->recvbuf, c->count, c->dt, c->op, rk->comm, NULL);
    case MR_BROADCAST:
        return weft_broadcast(s->sendbuf, s->recvbuf, c->count, c->dt, c->root, rk->comm, NULL);
    default:
        return weft_reduce(s->sendbuf, s->recvbuf, c->count, c->dt, c->op, c->root, rk->comm, NULL);
    }
}

void mr_case_run(mr_rank_t **ranks, int k, const mr_case_t *c, const char *forced_algo)
{
    char what[160];
    mr_case_describe(c, what, sizeof(what));
    for (int i = 0; i < k; i++)
        mr_case_setup(ranks[i], c);
    if (k > 1)
        weft_group_start();
    for (int i = 0; i < k; i++) {
        weft_status_t st = mr_case_issue(ranks[i], c);
        if (st != WEFT_OK)
            mr_fatal(ranks[i], "%s returned %s: %s", what, weft_status_string(st),
                     weft_last_error());
    }
    if (k > 1) {
        weft_status_t st = weft_group_end();
        if (st != WEFT_OK)
            mr_fatal(ranks[0], "%s: weft_group_end (driving all %d ranks) returned %s: %s", what, k,
                     weft_status_string(st), weft_last_error());
    }
    for (int i = 0; i < k; i++) {
        mr_case_check(ranks[i], ranks[0], c, forced_algo);
    }
}

void mr_warm_up(mr_rank_t **ranks, int k)
{
    mr_case_t cs = {MR_ALLREDUCE, WEFT_INT32, WEFT_SUM, 1, 0, 0, 999999, 12345};
    mr_case_run(ranks, k, &cs, NULL);
}
