/*
 * fault_threads.c - the abort trial with every rank a thread of one
 * process (fault_inject.h): a thread cannot be killed or stopped alone,
 * but its communicator can be aborted from another thread while it is in
 * a call.  The aborted rank's call must return within 1 s, the other
 * ranks' calls must fail (the abort tells them), and once every rank has
 * left and aborted its own communicator the process holds no more fds
 * than before init.  Threads are joined with a deadline: one still inside
 * a call then counts as hung.
 */
#define _GNU_SOURCE
#include "bootstrap/bootstrap.h"
#include "fault/fault_inject.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CALLS = 400 };

typedef struct {
    const fault_trial_t *t;
    const weft_unique_id_t *id;
    fault_slot_t *slots;
    int rank;
    _Atomic(weft_comm_t) comm;
} rank_arg_t;

static void *rank_thread(void *p)
{
    rank_arg_t *a = p;
    fault_slot_t *me = &a->slots[a->rank];
    weft_comm_t comm = NULL;
    me->phase = PH_INIT;
    weft_status_t st = weft_comm_init_rank(a->t->nranks, a->id, a->rank, &comm);
    float *buf = calloc(a->t->count, sizeof(float));
    if (st == WEFT_OK) {
        atomic_store(&a->comm, comm);
        for (int i = 0; i < MAX_CALLS && st == WEFT_OK; i++) {
            me->phase = PH_CALL;
            st = weft_allreduce(buf, buf, a->t->count, WEFT_FLOAT32, WEFT_MAX, comm, NULL);
            me->phase = PH_BETWEEN;
            me->calls += st == WEFT_OK;
            usleep(500);
        }
    }
    me->phase = PH_DONE;
    me->outcome = st == WEFT_OK ? 2 : 1;
    me->status = st;
    me->t_error = fu_now();
    snprintf(me->msg, sizeof(me->msg), "%s", st == WEFT_OK ? "" : weft_last_error());
    if (a->rank != a->t->victim && comm != NULL)
        weft_comm_abort(comm); /* the victim's was aborted already */
    free(buf);
    return NULL;
}

/* The aborting thread's work, run on the runner's own thread. */
static void abort_victim(const fault_trial_t *t, fault_slot_t *v, rank_arg_t *va, double give_up)
{
    while (!(v->calls >= t->calls_before && v->phase == PH_CALL) && fu_now() < give_up &&
           v->phase != PH_DONE)
        usleep(100);
    usleep((useconds_t)(t->delay_frac * 2000));
    weft_comm_t comm = atomic_load(&va->comm);
    v->fault_phase = v->phase;
    v->t_fault = fu_now();
    if (comm != NULL)
        weft_comm_abort(comm);
}

int fault_threads_abort(const fault_trial_t *t, fault_slot_t *slots, double deadline_s)
{
    int fds_before = fault_open_fds(NULL), hung = 0, n = t->nranks;
    weft_unique_id_t id;
    if (weft_get_unique_id(&id) != WEFT_OK)
        return 1;
    rank_arg_t args[FU_MAX_RANKS];
    pthread_t tids[FU_MAX_RANKS];
    for (int r = 0; r < n; r++) {
        args[r] = (rank_arg_t){.t = t, .id = &id, .slots = slots, .rank = r};
        atomic_init(&args[r].comm, NULL);
        pthread_create(&tids[r], NULL, rank_thread, &args[r]);
    }
    double until = fu_now() + deadline_s;
    abort_victim(t, &slots[t->victim], &args[t->victim], until);
    for (int r = 0; r < n; r++) {
        double left = until - fu_now();
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left > 0 ? (time_t)left + 1 : 0;
        if (pthread_timedjoin_np(tids[r], NULL, &ts) != 0)
            hung++;
    }
    fault_slot_t *v = &slots[t->victim];
    v->abort_wait = v->t_error - v->t_fault;
    if (hung == 0) {
        /* The root thread of the id ends once the communicator formed. */
        for (int i = 0; i < 100 && weft__bootstrap_roots_live() > 0; i++)
            usleep(10000);
        v->leaked_fds = fault_open_fds(NULL) - fds_before;
    }
    return hung;
}
