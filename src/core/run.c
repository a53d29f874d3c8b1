/*
 * run.c - turning calls into schedules and driving them to completion.
 *
 * Calls on one communicator (one call, or all the calls of a group) become
 * one schedule: each call's generated schedule is appended, buffers tagged
 * with the call they belong to.  Several communicators (a group spanning
 * the ranks of weft_comm_init_all) run side by side, the calling thread
 * progressing each in turn.
 *
 * Waiting: a thread that finds nothing to do polls for WEFT_SPIN_US, then
 * yields the CPU on each round, then sleeps 50 us at a time: ranks are often
 * threads or processes oversubscribing the cores, and a spinning rank would
 * steal the core its peer needs.  Every wait ends at the deadline
 * (WEFT_TIMEOUT) with WEFT_ERR_TIMEOUT and the pending steps named.
 */
#include "core/comm.h"
#include "core/plan.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"
#include "util/time.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Returns 1 while still in the polling phase. */
static int idle_wait(uint64_t idle_ns, uint64_t spin_ns)
{
    if (idle_ns < spin_ns) {
        weft__cpu_relax(); /* one pause: a message is noticed within ~50 ns */
        return 1;
    }
    if (idle_ns < spin_ns + 1000000) {
        sched_yield();
    } else {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Marks comm failed, cancels its transports' requests, tells the peers
 * (so that they fail now rather than at their timeout), records why. */
static weft_status_t fail_comm(struct weft_comm *comm, weft_status_t st, const char *what)
{
    for (int t = 0; t < WEFT_NUM_TP; t++) {
        if (comm->tp[t] != NULL) {
            comm->tp[t]->ops->cancel_all(comm->tp[t], st);
            comm->tp[t]->ops->shutdown(comm->tp[t]);
        }
    }
    if (comm->error == WEFT_OK) {
        comm->error = st;
        snprintf(comm->error_msg, sizeof(comm->error_msg), "%s", what);
    }
    return st;
}

static weft_status_t timeout_error(struct weft_comm *comm, const weft_op_desc_t *op)
{
    char pending[256];
    weft__exec_describe_pending(&comm->active->exec, pending, sizeof(pending));
    return weft__error(WEFT_ERR_TIMEOUT,
                       "rank %d/%d: %s #%llu (%s, %llu x %s) did not complete within %.1f s "
                       "(WEFT_TIMEOUT); waiting on %s", comm->rank, comm->nranks,
                       weft__coll_name(op->args.coll), (unsigned long long)comm->seq,
                       comm->last_algo ? comm->last_algo : "?",
                       (unsigned long long)op->args.count, weft__dtype_name(op->args.dt),
                       comm->timeout_s, pending);
}

/* Drives the prepared executors of comms[0..n) until all are done. */
static weft_status_t drive(struct weft_comm **comms, weft_op_desc_t **first_op, int n)
{
    double timeout = 0;
    uint64_t spin_ns = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        timeout = WEFT_MAX(timeout, comms[i]->timeout_s);
        spin_ns = WEFT_MIN(spin_ns, comms[i]->spin_ns);
    }
    uint64_t deadline = 0; /* set when the first wait starts: fast calls never read the clock */
    uint64_t idle_since = 0;
    uint32_t idle_rounds = 0;
    int left = n, polling = 1;
    weft_status_t result = WEFT_OK;
    uint8_t one[1] = {0}, *finished = n == 1 ? one : calloc((size_t)n, 1);
    if (finished == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "group state");
    while (left > 0) {
        int moved = 0;
        for (int i = 0; i < n; i++) {
            if (finished[i])
                continue;
            int m = 0;
            weft_status_t st = weft__exec_progress(&comms[i]->active->exec, &m);
            moved |= m;
            if (st == WEFT_IN_PROGRESS)
                continue;
            finished[i] = 1;
            left--;
            if (st != WEFT_OK) {
                fail_comm(comms[i], st, weft_last_error());
                result = result == WEFT_OK ? st : result;
            }
        }
        if (left == 0)
            break;
        if (moved) {
            idle_since = 0;
            idle_rounds = 0;
            polling = 1;
            continue;
        }
        /* While polling, the clock is read every 32nd round only. */
        if (polling && (idle_rounds++ & 31) != 0) {
            weft__cpu_relax();
            continue;
        }
        uint64_t now = weft__now_ns();
        if (deadline == 0)
            deadline = timeout > 0 ? now + (uint64_t)(timeout * 1e9) : UINT64_MAX;
        if (deadline != UINT64_MAX && now >= deadline) {
            for (int i = 0; i < n; i++) {
                if (finished[i])
                    continue;
                weft_status_t st = timeout_error(comms[i], first_op[i]);
                fail_comm(comms[i], st, weft_last_error());
                result = result == WEFT_OK ? st : result;
            }
            break;
        }
        polling = idle_wait(now - (idle_since ? idle_since : (idle_since = now)), spin_ns);
    }
    if (finished != one)
        free(finished);
    return result;
}

weft_status_t weft__run_ops(weft_op_desc_t *ops, int nops)
{
    struct weft_comm *one_comm[1];
    weft_op_desc_t *one_first[1];
    struct weft_comm **comms = one_comm;
    weft_op_desc_t **first = one_first;
    int ncomms = 0;
    if (nops > 1) {
        comms = malloc((size_t)nops * sizeof(*comms));
        first = malloc((size_t)nops * sizeof(*first));
        if (comms == NULL || first == NULL) {
            free(comms);
            free(first);
            return weft__error(WEFT_ERR_NO_MEMORY, "group of %d calls", nops);
        }
    }
    /* Stable partition by communicator, keeping each one's call order. */
    weft_status_t st = WEFT_OK;
    for (int i = 0; i < nops && st == WEFT_OK; i++) {
        int seen = 0;
        for (int c = 0; c < ncomms; c++)
            seen |= comms[c] == ops[i].comm;
        if (seen)
            continue;
        int k = 0;
        for (int j = i; j < nops; j++) {
            if (ops[j].comm == ops[i].comm) {
                weft_op_desc_t tmp = ops[j];
                memmove(&ops[i + k + 1], &ops[i + k], (size_t)(j - i - k) * sizeof(*ops));
                ops[i + k] = tmp;
                k++;
            }
        }
        ops[i].comm->seq += (uint64_t)k;
        comms[ncomms] = ops[i].comm;
        first[ncomms++] = &ops[i];
        st = weft__plan_prepare(ops[i].comm, &ops[i], k);
        i += k - 1;
    }
    if (st == WEFT_OK)
        st = drive(comms, first, ncomms);
    if (comms != one_comm) {
        free(comms);
        free(first);
    }
    return st;
}
