/*
 * verify_impl.h - state shared by the verifier's files (verify.c checks
 * structure, races and results; verify_sim.c runs the ranks together).
 */
#ifndef WEFT_ALGO_VERIFY_IMPL_H
#define WEFT_ALGO_VERIFY_IMPL_H

#include "algo/graph.h"
#include "algo/verify.h"

/* A symbolic element: the set of ranks whose contribution it holds, and
 * which element of the input it is. */
enum { SYM_UNDEF = 0, SYM_VALID = 1, SYM_DIVIDED = 2 };
typedef struct {
    uint64_t mask;
    uint32_t idx;
    uint8_t state;
} sym_t;

typedef struct {
    uint32_t space;
    uint64_t off;
} vmap_t;

enum { ST_PENDING, ST_READY, ST_POSTED, ST_DONE };

typedef struct {
    weft_sched_t sched;
    vmap_t *map;     /* per buffer: where its memory lives */
    sym_t **mem;     /* per space */
    uint64_t *space_len;
    uint8_t *state;  /* per step */
    uint32_t *remaining;
    weft_graph_t graph; /* successors, per-peer queues: the executor's own */
    uint64_t *heard;
    uint32_t *cursor[2]; /* per peer: the next send [0] / receive [1] to post */
    uint64_t sent_elems;
    uint32_t nmsgs;
} vrank_t;

typedef struct {
    const weft_verify_case_t *vc;
    int n;
    vrank_t *ranks;
    char *msg;
    size_t msglen;
    weft_status_t status;
} verifier_t;

void weft__verify_fail(verifier_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resolves a region to its space and offset there. */
static inline vmap_t weft__verify_where(const vrank_t *vr, weft_region_t r)
{
    vmap_t m = vr->map[r.buf];
    m.off += r.off;
    return m;
}

/* Combines two symbolic elements; reports and returns -1 on an error. */
int weft__verify_combine(verifier_t *v, int rank, uint32_t step, sym_t *dst, sym_t a, sym_t b);

/* Runs all ranks to completion or reports a deadlock. */
void weft__verify_simulate(verifier_t *v);

#endif
