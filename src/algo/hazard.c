/*
 * hazard.c - the dependencies that memory implies, added by the builder.
 *
 * When a step is added, every earlier step whose memory it conflicts with
 * becomes one of its dependencies: a read depends on the last writes of
 * what it reads (read after write), a write on every earlier read and write
 * of what it writes (write after read, write after write).  Generators
 * thus state only the order that is not about memory (a receive before the
 * send that forwards it is memory; the chaining of barrier signals is not),
 * and phases compose: a phase that reads what the previous one wrote waits
 * for exactly those steps, slice by slice, so phases overlap as far as
 * their data allows.
 *
 * Buffers that may share memory at run time are mapped onto one space: a
 * generator's send buffer lies inside its receive buffer as an in-place
 * call places it (weft__sched_alias), so one schedule is safe in place and
 * out of place.
 *
 * Live accesses are indexed per space in up to 1024 buckets of equal width
 * (an access sits in every bucket it overlaps), so that finding what a new
 * access conflicts with looks only at its neighbourhood; a write retires
 * the accesses it covers entirely (later steps that conflict with them
 * conflict with the write, which already follows them).  Building a
 * schedule thus costs about linear time in its steps.
 */
#include "algo/sched.h"
#include "reduce/reduce.h"

#include <stdlib.h>
#include <string.h>

#define HZ_MAX_BUCKETS 1024

typedef struct {
    uint32_t step;
    uint8_t write, dead;
    uint64_t lo, hi;
} hz_rec_t;

typedef struct {
    uint32_t *idx; /* into recs */
    uint32_t n, cap;
} hz_bucket_t;

typedef struct {
    int ready;
    uint64_t width;
    uint32_t nb;
    hz_bucket_t *b;
} hz_space_t;

struct weft_hazards {
    hz_rec_t *recs;
    uint32_t nrecs, recs_cap;
    uint32_t *space;  /* per buffer: the space it lives in (a buffer index) */
    uint64_t *offset; /* per buffer: where in that space, in bytes */
    uint32_t nmap, map_cap;
    hz_space_t *spaces; /* per buffer index */
    uint32_t spaces_cap;
    uint32_t *stamp; /* per step: the last step that took it as a dep */
    uint32_t nstamp;
};

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t n = *cap ? *cap : 32;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * elem);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static weft_hazards_t *get(weft_sched_t *s)
{
    if (s->hz == NULL)
        s->hz = calloc(1, sizeof(*s->hz));
    return s->hz;
}

/* Buffer b's space and offset, identity unless aliased. */
static int map_buffers(weft_sched_t *s, weft_hazards_t *h)
{
    if (h->nmap >= s->nbufs)
        return 0;
    uint32_t cap = h->map_cap, scap = h->spaces_cap;
    if (grow((void **)&h->space, &cap, s->nbufs, sizeof(*h->space)) != 0)
        return -1;
    cap = h->map_cap;
    if (grow((void **)&h->offset, &cap, s->nbufs, sizeof(*h->offset)) != 0)
        return -1;
    h->map_cap = cap;
    if (grow((void **)&h->spaces, &scap, s->nbufs, sizeof(*h->spaces)) != 0)
        return -1;
    memset(h->spaces + h->spaces_cap, 0, (scap - h->spaces_cap) * sizeof(*h->spaces));
    h->spaces_cap = scap;
    for (uint32_t b = h->nmap; b < s->nbufs; b++) {
        h->space[b] = b;
        h->offset[b] = 0;
    }
    h->nmap = s->nbufs;
    return 0;
}

void weft__sched_alias_bytes(weft_sched_t *s, uint32_t buf, uint32_t onto, uint64_t off)
{
    weft_hazards_t *h = get(s);
    if (h == NULL || map_buffers(s, h) != 0) {
        s->status = WEFT_ERR_NO_MEMORY;
        return;
    }
    h->space[buf] = h->space[onto];
    h->offset[buf] = h->offset[onto] + off;
}

void weft__sched_alias(weft_sched_t *s, uint32_t buf, uint32_t onto, uint64_t off)
{
    weft__sched_alias_bytes(s, buf, onto,
                            off * weft__dtype_size((weft_datatype_t)s->bufs[onto].dtype));
}

static void free_spaces(weft_hazards_t *h)
{
    for (uint32_t i = 0; i < h->spaces_cap; i++) {
        for (uint32_t b = 0; b < h->spaces[i].nb; b++)
            free(h->spaces[i].b[b].idx);
        free(h->spaces[i].b);
        memset(&h->spaces[i], 0, sizeof(h->spaces[i]));
    }
}

void weft__hazards_reset(weft_hazards_t *h)
{
    if (h == NULL)
        return;
    free_spaces(h);
    h->nrecs = h->nmap = 0;
}

void weft__hazards_free(weft_hazards_t *h)
{
    if (h == NULL)
        return;
    free_spaces(h);
    free(h->recs);
    free(h->space);
    free(h->offset);
    free(h->spaces);
    free(h->stamp);
    free(h);
}

/* Makes `dep` a dependency of step `self` (the step being added, whose
 * deps are the tail of s->deps), once. */
int weft__hazards_dep(weft_sched_t *s, uint32_t dep, uint32_t self)
{
    weft_hazards_t *h = s->hz;
    if (h->stamp[dep] == self + 1)
        return 0;
    h->stamp[dep] = self + 1;
    if (grow((void **)&s->deps, &s->deps_cap, s->ndeps + 1, sizeof(*s->deps)) != 0)
        return -1;
    s->deps[s->ndeps++] = dep;
    return 0;
}

int weft__hazards_begin(weft_sched_t *s, uint32_t self)
{
    weft_hazards_t *h = get(s);
    if (h == NULL || map_buffers(s, h) != 0 ||
        grow((void **)&h->stamp, &h->nstamp, self + 1, sizeof(*h->stamp)) != 0)
        return -1;
    h->stamp[self] = 0;
    return 0;
}

/* Sizes the buckets of a space on its first access, from the buffers that
 * live in it. */
static hz_space_t *space_of(weft_sched_t *s, uint32_t sp)
{
    weft_hazards_t *h = s->hz;
    hz_space_t *x = &h->spaces[sp];
    if (x->ready)
        return x;
    uint64_t len = 1;
    for (uint32_t b = 0; b < s->nbufs; b++) {
        uint64_t end = h->offset[b] +
                       s->bufs[b].count * weft__dtype_size((weft_datatype_t)s->bufs[b].dtype);
        if (h->space[b] == sp && end > len)
            len = end;
    }
    /* Buckets of at least 4 KiB: a small buffer needs only a few. */
    uint64_t want = (len + 4095) / 4096;
    x->nb = want < HZ_MAX_BUCKETS ? (uint32_t)want : HZ_MAX_BUCKETS;
    x->width = (len + x->nb - 1) / x->nb;
    x->b = calloc(x->nb, sizeof(*x->b));
    if (x->b == NULL)
        return NULL;
    x->ready = 1;
    return x;
}

static uint32_t bucket_of(const hz_space_t *x, uint64_t e)
{
    uint64_t b = e / x->width;
    return b < x->nb ? (uint32_t)b : x->nb - 1;
}

/* Conflicts of one access become deps; then the access is recorded.
 * Offsets are bytes, so that calls of different types merged into one
 * group schedule compare correctly. */
static int access(weft_sched_t *s, weft_region_t r, size_t esize, int write, uint32_t self)
{
    weft_hazards_t *h = s->hz;
    if (r.count == 0)
        return 0;
    hz_space_t *x = space_of(s, h->space[r.buf]);
    if (x == NULL || grow((void **)&h->recs, &h->recs_cap, h->nrecs + 1, sizeof(*h->recs)) != 0)
        return -1;
    uint64_t lo = h->offset[r.buf] + r.off * esize, hi = lo + r.count * esize;
    uint32_t b0 = bucket_of(x, lo), b1 = bucket_of(x, hi - 1), me = h->nrecs;
    for (uint32_t b = b0; b <= b1; b++) {
        hz_bucket_t *bk = &x->b[b];
        for (uint32_t i = 0; i < bk->n;) {
            hz_rec_t *a = &h->recs[bk->idx[i]];
            if (!a->dead && a->lo < hi && lo < a->hi && a->step != self) {
                if ((write || a->write) && weft__hazards_dep(s, a->step, self) != 0)
                    return -1;
                if (write && lo <= a->lo && a->hi <= hi)
                    a->dead = 1; /* superseded by this write */
            }
            if (a->dead)
                bk->idx[i] = bk->idx[--bk->n];
            else
                i++;
        }
        if (grow((void **)&bk->idx, &bk->cap, bk->n + 1, sizeof(*bk->idx)) != 0)
            return -1;
        bk->idx[bk->n++] = me;
    }
    h->recs[h->nrecs++] = (hz_rec_t){self, (uint8_t)write, 0, lo, hi};
    return 0;
}

/* The memory dependencies of step `self`: reads first, then writes. */
int weft__hazards_step(weft_sched_t *s, const weft_step_t *st, uint32_t self)
{
    size_t es = weft__dtype_size((weft_datatype_t)st->dtype);
    switch (st->kind) {
    case WEFT_STEP_SEND: return access(s, st->src, es, 0, self);
    case WEFT_STEP_RECV:
    case WEFT_STEP_DIVIDE: return access(s, st->dst, es, 1, self);
    default:
        if (access(s, st->src, es, 0, self) != 0)
            return -1;
        if (st->kind == WEFT_STEP_REDUCE && access(s, st->src2, es, 0, self) != 0)
            return -1;
        return access(s, st->dst, es, 1, self);
    }
}
