/*
 * sched.h - the schedule IR: what one rank does for one collective.
 *
 * Every algorithm in weft is a generator that, given (collective, nranks,
 * rank, count, datatype, op, root), emits a schedule: a plain list of steps
 * over buffers of this rank.  Three consumers read the same list:
 *   - the executor (core/exec.c) runs it over real transports;
 *   - the verifier (algo/verify.c) runs all ranks' schedules on symbolic
 *     data and proves that each output element holds each rank's
 *     contribution exactly once, with no races and no deadlock;
 *   - the simulator prices it on a topology model.
 *
 * Steps:
 *   SEND         peer, src           send src to peer
 *   RECV         peer, dst           receive from peer into dst
 *   RECV_REDUCE  peer, src, dst      dst = src op (data from peer)
 *   COPY         src, dst            dst = src
 *   REDUCE       src, src2, dst      dst = src op src2
 *   DIVIDE       dst                 dst /= nranks (the end of AVG)
 *
 * Regions are (buffer, offset, count) in elements of the step's datatype.
 * Buffer 0 of a generated schedule is the user's send buffer, buffer 1 the
 * user's receive buffer; a generator adds scratch buffers as it needs.
 *
 * Ordering.  A step may start once the steps it depends on are complete
 * (deps always name earlier steps, so the graph is acyclic).  Messages
 * between two ranks match in order: the k-th SEND from a to b pairs with
 * the k-th RECV or RECV_REDUCE at b from a, and the executor posts the
 * sends to one peer (and the receives from one peer) in schedule order.
 * The builder adds the dependencies that memory implies (hazard.c): a step
 * waits for the earlier steps that write what it reads, and for those that
 * read or write what it writes, with the send buffer aliased into the
 * receive buffer as an in-place call places it.  A generator gives only
 * the dependencies that are not about memory.  The verifier proves the
 * result free of races, deadlocks and wrong sums.
 */
#ifndef WEFT_ALGO_SCHED_H
#define WEFT_ALGO_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

typedef enum {
    WEFT_STEP_SEND,
    WEFT_STEP_RECV,
    WEFT_STEP_RECV_REDUCE,
    WEFT_STEP_COPY,
    WEFT_STEP_REDUCE,
    WEFT_STEP_DIVIDE,
} weft_step_kind_t;

typedef enum {
    WEFT_BUF_SEND,    /* the user's send buffer */
    WEFT_BUF_RECV,    /* the user's receive buffer */
    WEFT_BUF_SCRATCH, /* temporary memory the executor provides */
} weft_buf_kind_t;

typedef struct {
    uint32_t buf;   /* index into the schedule's buffer table */
    uint64_t off;   /* in elements */
    uint64_t count; /* in elements */
} weft_region_t;

/* Step flag: a zero-count SEND/RECV that is kept (a synchronisation
 * message, as in barrier); other zero-count steps are dropped. */
#define WEFT_STEP_F_SIGNAL 0x1

typedef struct {
    uint8_t kind;  /* weft_step_kind_t */
    uint8_t dtype; /* weft_datatype_t */
    uint8_t op;    /* weft_op_t, for RECV_REDUCE and REDUCE */
    uint8_t flags;
    int32_t peer;     /* SEND and RECV*: the peer's rank */
    uint32_t divisor; /* DIVIDE */
    weft_region_t src, src2, dst;
    uint32_t dep_first, ndeps; /* into weft_sched_t.deps */
} weft_step_t;

typedef struct {
    uint8_t kind;   /* weft_buf_kind_t */
    uint8_t dtype;  /* element type of the buffer */
    uint32_t group; /* which call of a merged group schedule it belongs to */
    uint64_t count; /* elements */
} weft_sched_buf_t;

typedef struct weft_hazards weft_hazards_t;

typedef struct weft_sched {
    weft_step_t *steps;
    uint32_t nsteps, steps_cap;
    uint32_t *deps;
    uint32_t ndeps, deps_cap;
    weft_sched_buf_t *bufs;
    uint32_t nbufs, bufs_cap;
    int rank, nranks;
    const char *algo;     /* name of the generator that produced it */
    weft_status_t status; /* sticky: WEFT_ERR_NO_MEMORY if a push failed */
    weft_hazards_t *hz;   /* the builder's memory-conflict tracker (hazard.c) */
} weft_sched_t;

/* No step: returned for dropped zero-count steps; ignored in dep lists. */
#define WEFT_NO_STEP (-1)

void weft__sched_init(weft_sched_t *s, int rank, int nranks);
/* Empties the schedule but keeps its memory, for reuse. */
void weft__sched_reset(weft_sched_t *s, int rank, int nranks);
void weft__sched_free(weft_sched_t *s);

/* Adds a buffer; returns its index (or UINT32_MAX on allocation failure,
 * which also sets s->status). */
uint32_t weft__sched_add_buf(weft_sched_t *s, weft_buf_kind_t kind, weft_datatype_t dt,
                             uint64_t count);

/* Buffer `buf` shares memory with buffer `onto`, starting at element `off`
 * of it (in-place calls); the conflict tracking treats them as one. */
void weft__sched_alias(weft_sched_t *s, uint32_t buf, uint32_t onto, uint64_t off);
/* The same with the offset in bytes (buffers of different element types). */
void weft__sched_alias_bytes(weft_sched_t *s, uint32_t buf, uint32_t onto, uint64_t off);

/* Appends a step with the given dependencies (entries WEFT_NO_STEP are
 * skipped) and those its memory accesses imply.  Returns the new step's index, or WEFT_NO_STEP if the step
 * moves no data and is not a signal (it is then dropped), or on failure
 * (s->status says which). */
int32_t weft__sched_add(weft_sched_t *s, const weft_step_t *step, const int32_t *deps,
                        int ndeps);

/* Shorthands over weft__sched_add. */
static inline weft_region_t weft__region(uint32_t buf, uint64_t off, uint64_t count)
{
    weft_region_t r = {buf, off, count};
    return r;
}
int32_t weft__sched_send(weft_sched_t *s, int peer, weft_region_t src, weft_datatype_t dt,
                         const int32_t *deps, int ndeps);
int32_t weft__sched_recv(weft_sched_t *s, int peer, weft_region_t dst, weft_datatype_t dt,
                         const int32_t *deps, int ndeps);
int32_t weft__sched_recv_reduce(weft_sched_t *s, int peer, weft_region_t src,
                                weft_region_t dst, weft_datatype_t dt, weft_op_t op,
                                const int32_t *deps, int ndeps);
int32_t weft__sched_copy(weft_sched_t *s, weft_region_t src, weft_region_t dst,
                         weft_datatype_t dt, const int32_t *deps, int ndeps);
int32_t weft__sched_reduce(weft_sched_t *s, weft_region_t a, weft_region_t b,
                           weft_region_t dst, weft_datatype_t dt, weft_op_t op,
                           const int32_t *deps, int ndeps);
int32_t weft__sched_divide(weft_sched_t *s, weft_region_t dst, weft_datatype_t dt,
                           uint32_t divisor, const int32_t *deps, int ndeps);

/* Frees the conflict tracker once a schedule is complete (it is rebuilt if
 * more steps are added). */
void weft__sched_done(weft_sched_t *s);

/* Merging the calls of a group into one schedule, in two passes so that
 * the caller can say which buffers share memory in between:
 * append_bufs copies src's buffers (tagged with `group`) and returns the
 * index of the first; after weft__sched_alias_bytes on them,
 * append_steps re-adds src's steps through the builder, so that a call
 * that touches memory an earlier call of the group touches is ordered
 * after it. */
uint32_t weft__sched_append_bufs(weft_sched_t *dst, const weft_sched_t *src, uint32_t group);
weft_status_t weft__sched_append_steps(weft_sched_t *dst, const weft_sched_t *src, uint32_t buf0);

/* Human-readable dump, one step per line; for weft-sched and debugging. */
void weft__sched_print(const weft_sched_t *s, void *file);

const char *weft__step_kind_name(int kind);

#endif
