/*
 * fault_inject.h - the fault-injection suite's trial description and the
 * record each rank leaves in memory shared with the runner (fault_inject.c
 * runs trials, fault_rank.c is what a rank does in one).
 */
#ifndef FAULT_INJECT_H
#define FAULT_INJECT_H

#include "fault/fault_util.h"

enum fault_kind { FK_KILL, FK_SOCKCLOSE, FK_STOP, FK_ABORT, FK_COUNT };
enum fault_point { FP_INIT, FP_DURING, FP_BETWEEN, FP_COUNT };
enum fault_transport { FT_SHM, FT_SOCK, FT_NODES, FT_THREADS, FT_COUNT };

/* What a rank was doing when the fault struck (the victim records it). */
enum rank_phase { PH_INIT, PH_CALL, PH_BETWEEN, PH_DONE };

typedef struct {
    enum fault_kind kind;
    enum fault_point point;
    enum fault_transport transport;
    int nranks, victim;
    int calls_before;   /* FP_DURING/BETWEEN: completed calls before the fault */
    double delay_frac;  /* FP_INIT/DURING: where in init / in the call, 0..1 */
    size_t count;       /* floats per all-reduce */
} fault_trial_t;

/* Per rank; written by the rank, read by the runner after it is gone. */
typedef struct {
    volatile int phase;         /* enum rank_phase, updated as it goes */
    volatile int outcome;       /* 0 none yet, 1 got an error, 2 no error at all */
    volatile int status;        /* the first non-OK status */
    volatile double t_error;    /* when that call returned */
    volatile double t_fault;    /* victim: when the fault struck */
    volatile int fault_phase;   /* victim: its phase then */
    volatile double abort_wait; /* FK_ABORT victim: abort -> its in-flight call returned */
    volatile int leaked_fds;    /* FK_ABORT victim: fds left after abort and join */
    volatile int calls;         /* calls completed */
    char msg[160];
} fault_slot_t;

/* Counts this process's open fds; marks sockets[fd] = 1 for the socket
 * fds below FAULT_MAX_FDS (sockets may be NULL). */
#define FAULT_MAX_FDS 1024
int fault_open_fds(unsigned char *sockets);

/* In a forked rank: runs the trial as `rank`; never returns. */
void fault_rank_main(const fault_trial_t *t, int rank, const weft_unique_id_t *id,
                     fault_slot_t *slots) __attribute__((noreturn));

/* FT_THREADS: every rank a thread of this process, rank t->victim's comm
 * aborted from one more thread (FK_ABORT only).  Returns how many threads
 * were still inside a call at the deadline (0 unless something hung). */
int fault_threads_abort(const fault_trial_t *t, fault_slot_t *slots, double deadline_s);

#endif
