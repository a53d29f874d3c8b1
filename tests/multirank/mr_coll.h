/*
 * mr_coll.h - one collective "case" (collective, datatype, op, count, in
 * place or not, root) run on the ranks of a communicator and checked:
 *
 *  1. each rank lays out its buffers in guarded areas (guard bytes before
 *     and after, a start offset that varies from case to case) and fills
 *     them: its input where the collective reads, a poison pattern where
 *     it only writes;
 *  2. the calls are issued (between weft_group_start/end when one thread
 *     drives several ranks);
 *  3. every byte of every area is checked: the output against the result
 *     computed by mr_data, the rest (the input, a non-root's buffers, the
 *     other slices of an in-place reduce-scatter) unchanged, guards intact.
 */
#ifndef MR_COLL_H
#define MR_COLL_H

#include "multirank/mr_harness.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    MR_ALLREDUCE,
    MR_ALLGATHER,
    MR_REDUCE_SCATTER,
    MR_BROADCAST,
    MR_REDUCE,
    MR_NUM_COLLS
} mr_coll_t;

typedef struct {
    mr_coll_t coll;
    weft_datatype_t dt;
    weft_op_t op; /* reductions only */
    size_t count; /* per rank for all-gather and reduce-scatter */
    int inplace;
    int root;      /* broadcast and reduce */
    unsigned id;   /* sequence number: the same on every rank */
    uint32_t salt; /* varies the data from case to case */
} mr_case_t;

const char *mr_coll_name(mr_coll_t coll);
int mr_coll_parse(const char *name, mr_coll_t *coll_p);
int mr_coll_has_op(mr_coll_t coll);
int mr_coll_has_root(mr_coll_t coll);

/* The algorithm weft_comm_last_algo must report for coll when WEFT_ALGO is
 * `forced`, or NULL where the collective has no such algorithm. */
const char *mr_forced_algo(mr_coll_t coll, const char *forced);

/* Runs case c on ranks[0..k) (k > 1: one thread drives them all in a
 * group) and checks the results; failures are counted on each rank.  An
 * error status ends the process (mr_fatal).  forced_algo (WEFT_ALGO), if
 * not NULL, is checked against weft_comm_last_algo for count > 0. */
void mr_case_run(mr_rank_t **ranks, int k, const mr_case_t *c, const char *forced_algo);

/* The three phases of mr_case_run, for tests that put several cases in
 * one group: each (case, rank) pair needs its own mr_rank_t (buffers live
 * in rank->user), which may share a communicator.  mr_case_check takes
 * the failures' rank and a rank whose state caches expected results. */
void mr_case_setup(mr_rank_t *rank, const mr_case_t *c);
weft_status_t mr_case_issue(mr_rank_t *rank, const mr_case_t *c);
void mr_case_check(mr_rank_t *rank, mr_rank_t *cache_rank, const mr_case_t *c,
                   const char *forced_algo);

/* One checked all-reduce of 1 element: the first call on a communicator.
 * weft crashes when the first call on a communicator has nothing to do
 * (count 0, or a barrier of one rank: mr_edge reproduces it); the other
 * tests step around that so that they can test everything else. */
void mr_warm_up(mr_rank_t **ranks, int k);

/* Frees the buffers mr_case_run keeps in rank->user. */
void mr_case_free(mr_rank_t *rank);

/* "allreduce float16 sum in-place count 1000 root 2" */
void mr_case_describe(const mr_case_t *c, char *buf, size_t len);

/* Compares count elements of got with want; on a difference reports the
 * first one (index, got, expected, how many differ) as a failure of rk,
 * prefixed with `what`.  Returns 1 if equal. */
int mr_check_equal(mr_rank_t *rk, const char *what, const void *got, const void *want, size_t count,
                   weft_datatype_t dt);

#endif
