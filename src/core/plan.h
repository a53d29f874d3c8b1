/*
 * plan.h - turning calls into ready-to-run executors, with a cache.
 *
 * A plan is a schedule and its executor graph for one set of call
 * arguments.  A communicator keeps the last WEFT_PLAN_CACHE single-call
 * plans: a training loop repeats a handful of calls (its gradient buckets,
 * a barrier, a small all-reduce of a loss), and a hit costs only the
 * rebinding of buffer addresses.  Groups get a plan of their own, built
 * each time.
 */
#ifndef WEFT_CORE_PLAN_H
#define WEFT_CORE_PLAN_H

#include "algo/algo.h"
#include "core/exec.h"

#define WEFT_PLAN_CACHE 8

typedef struct {
    weft_sched_t sched;
    weft_exec_t exec;
    weft_coll_args_t args;
    const char *algo;
    uint64_t last_use;
    int valid;
    /* A group plan is kept for the same calls on the same buffers (its
     * ordering depends on where they overlap): their descriptions. */
    struct weft_op_desc *group_ops;
    int group_nops;
} weft_plan_t;

struct weft_comm;
typedef struct weft_op_desc weft_op_desc_t;

/* Makes comm->active ready to run ops[0..nops) (all on comm). */
weft_status_t weft__plan_prepare(struct weft_comm *comm, weft_op_desc_t *ops, int nops);

void weft__plan_free(weft_plan_t *p);

#endif
