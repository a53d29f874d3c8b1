/*
 * run.c - turning calls into schedules and driving them to completion.
 *
 * Calls on one communicator (one call, or all the calls of a group) become
 * one schedule: each call's generated schedule is appended, buffers tagged
 * with the call they belong to.  Several communicators (a group spanning
 * the ranks of weft_comm_init_all) run side by side, the calling thread
 * progressing each in turn.
 *
 * Waiting (wait.c): a thread that finds nothing to do polls for
 * WEFT_SPIN_US, then sleeps in poll() on its sockets, or yields and naps
 * while shared memory is pending: a spinning rank would steal the core its
 * peer needs.  Every wait ends at the deadline
 * (WEFT_TIMEOUT, or the communicator's weft_config_t) with
 * WEFT_ERR_TIMEOUT, a message naming the call, the pending steps and the
 * peers that never arrived, and a hang report (diag.h).
 *
 * Before a run moves data its calls are signed (diag.h); with WEFT_CHECK=1
 * the ranks first compare signatures in a run of their own (check.c).
 */
#include "core/comm.h"
#include "core/plan.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whom a failing rank tells: nobody, or every peer with a notice of the
 * kind WEFT_NOTICE_* (transport.h). */
enum { TELL_NOBODY = 0 };

/* Marks comm failed, cancels its transports' requests, records why and,
 * unless `tell` is TELL_NOBODY, tells the peers why (so that they fail now
 * rather than at their timeout, and with this rank's reason): the notice
 * `heard` from a peer if the failure came from one, passed on unchanged,
 * else a notice of kind `tell` with this rank's message.  A timeout does
 * not tell: its peers are waiting too, and each reaching its own deadline
 * is what makes every rank return WEFT_ERR_TIMEOUT with its own view of
 * who never arrived, rather than WEFT_ERR_REMOTE naming the first rank to
 * give up. */
static weft_status_t fail_comm(struct weft_comm *comm, weft_status_t st, const char *what,
                               int tell, const weft_fail_notice_t *heard)
{
    weft_fail_notice_t own;
    const weft_fail_notice_t *why = heard;
    if (tell != TELL_NOBODY && why == NULL) {
        weft__notice_make(&own, tell, st, comm->rank, what);
        why = &own;
    }
    for (int t = 0; t < WEFT_NUM_TP; t++) {
        if (comm->tp[t] != NULL) {
            comm->tp[t]->ops->cancel_all(comm->tp[t], st);
            if (tell != TELL_NOBODY)
                comm->tp[t]->ops->shutdown(comm->tp[t], why);
        }
    }
    if (comm->error == WEFT_OK) {
        comm->error = st;
        snprintf(comm->error_msg, sizeof(comm->error_msg), "%s", what);
    }
    return st;
}

/* One round over the executors that are still running: returns how many
 * are left; errors (and a destroy or abort from another thread) fail the
 * communicator and are kept in *result_p. */
static int drive_round(struct weft_comm **comms, uint8_t *finished, int n, int *moved_p,
                       weft_status_t *result_p)
{
    int left = 0;
    for (int i = 0; i < n; i++) {
        if (finished[i])
            continue;
        int m = 0, tell = WEFT_NOTICE_ERROR;
        weft_exec_t *x = &comms[i]->active->exec;
        weft_status_t st = weft__exec_progress(x, &m);
        if (st == WEFT_IN_PROGRESS &&
            atomic_load_explicit(&comms[i]->dying, memory_order_relaxed)) {
            st = weft__error(WEFT_ERR_INVALID_USAGE, "rank %d: the communicator was destroyed "
                             "or aborted during the call", comms[i]->rank);
            tell = WEFT_NOTICE_ABORT;
        } else if (st == WEFT_ERR_INVALID_USAGE) {
            tell = WEFT_NOTICE_MISMATCH; /* from a transport: the ranks disagree */
        }
        *moved_p |= m;
        if (st == WEFT_IN_PROGRESS) {
            left++;
            continue;
        }
        finished[i] = 1;
        if (st != WEFT_OK) {
            /* A peer told why: say so in this rank's words, and pass it on. */
            if (x->notice != NULL)
                st = weft__notice_error(comms[i]->rank, comms[i]->nranks, x->notice_peer,
                                        x->notice);
            fail_comm(comms[i], st, weft_last_error(), tell, x->notice);
            *result_p = *result_p == WEFT_OK ? st : *result_p;
        }
    }
    return left;
}

/* Drives the prepared executors of comms[0..n) until all are done.  The
 * deadline is WEFT_TIMEOUT after the last progress: a long collective that
 * keeps moving does not time out; one that stalls does. */
static weft_status_t drive(struct weft_comm **comms, int n)
{
    double timeout = 0;
    uint64_t spin_ns = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        timeout = WEFT_MAX(timeout, comms[i]->timeout_s);
        spin_ns = WEFT_MIN(spin_ns, comms[i]->spin_ns);
    }
    uint64_t deadline = 0, idle_since = 0; /* set when a wait starts */
    uint32_t idle_rounds = 0;
    int polling = 1;
    weft_status_t result = WEFT_OK;
    uint8_t one[1] = {0}, *finished = n == 1 ? one : calloc((size_t)n, 1);
    if (finished == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "group state");
    for (;;) {
        int moved = 0;
        if (drive_round(comms, finished, n, &moved, &result) == 0)
            break;
        if (moved) {
            deadline = idle_since = 0;
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
        if (deadline == 0) {
            deadline = timeout > 0 ? now + (uint64_t)(timeout * 1e9) : UINT64_MAX;
            idle_since = now;
        }
        if (now >= deadline) {
            for (int i = 0; i < n; i++) {
                if (finished[i])
                    continue;
                weft_status_t st = weft__diag_timeout_error(comms[i]);
                fail_comm(comms[i], st, weft_last_error(), TELL_NOBODY, NULL);
                result = result == WEFT_OK ? st : result;
            }
            weft__diag_report_all("timeout");
            break;
        }
        for (int i = 0; i < n; i++) {
            if (!finished[i])
                weft__diag_poll_report(comms[i]);
        }
        polling = weft__wait_idle(comms, finished, n, now - idle_since, spin_ns);
    }
    if (finished != one)
        free(finished);
    return result;
}

/* The distinct communicators of ops, in order of first appearance, and ops
 * regrouped (stably) so that each one's calls are contiguous. */
static int partition(const weft_op_desc_t *ops, int nops, weft_op_desc_t *sorted,
                     struct weft_comm **comms, int *count)
{
    int ncomms = 0, k = 0;
    for (int i = 0; i < nops; i++) {
        int seen = 0;
        for (int c = 0; c < ncomms && !seen; c++)
            seen = comms[c] == ops[i].comm;
        if (!seen)
            comms[ncomms++] = ops[i].comm;
    }
    for (int c = 0; c < ncomms; c++) {
        count[c] = 0;
        for (int i = 0; i < nops; i++) {
            if (ops[i].comm == comms[c]) {
                sorted[k++] = ops[i];
                count[c]++;
            }
        }
    }
    return ncomms;
}

/* Counts the call in on every communicator, after checking that each is
 * live and has not failed; on failure nothing is left counted. */
static weft_status_t enter_all(struct weft_comm **comms, int ncomms)
{
    for (int c = 0; c < ncomms; c++) {
        weft_status_t st = weft__comm_check(comms[c]);
        if (st == WEFT_OK)
            st = weft__comm_enter(comms[c]);
        if (st == WEFT_OK && comms[c]->error != WEFT_OK) {
            weft__comm_leave(comms[c]);
            st = weft__error(comms[c]->error, "the communicator failed earlier (%s); destroy or "
                             "abort it", comms[c]->error_msg);
        }
        if (st != WEFT_OK) {
            while (c-- > 0)
                weft__comm_leave(comms[c]);
            return st;
        }
    }
    return WEFT_OK;
}

/* The full check applies to runs every rank takes part in: not those
 * holding send or recv (the header check covers those). */
static int wants_full_check(const struct weft_comm *comm, const weft_op_desc_t *ops, int n)
{
    if (comm->diag.check != WEFT_CHECK_FULL || comm->nranks < 2)
        return 0;
    for (int i = 0; i < n; i++) {
        if (ops[i].args.coll == WEFT_COLL_SEND || ops[i].args.coll == WEFT_COLL_RECV)
            return 0;
    }
    return 1;
}

/* Signs every communicator's calls and, where WEFT_CHECK=1 asks, runs the
 * full check (check.c) before any of them moves data.  `checking` has
 * room for ncomms entries. */
static weft_status_t sign_and_check(struct weft_comm **comms, struct weft_comm **checking,
                                    weft_op_desc_t *sorted, const int *count, int ncomms)
{
    weft_status_t st = WEFT_OK;
    int nchk = 0;
    for (int c = 0, at = 0; c < ncomms && st == WEFT_OK; at += count[c++]) {
        st = weft__diag_begin(comms[c], &sorted[at], count[c]);
        if (st == WEFT_OK && wants_full_check(comms[c], &sorted[at], count[c])) {
            st = weft__check_prepare(comms[c], &sorted[at], count[c]);
            checking[nchk++] = comms[c];
        }
        if (st != WEFT_OK)
            fail_comm(comms[c], st, weft_last_error(), WEFT_NOTICE_ERROR, NULL);
    }
    if (st != WEFT_OK || nchk == 0)
        return st;
    st = drive(checking, nchk);
    for (int i = 0; i < nchk && st == WEFT_OK; i++) {
        /* Every rank holds every record, so every rank reaches this same
         * verdict: no need to tell the peers. */
        weft_status_t v = weft__check_verdict(checking[i]);
        if (v != WEFT_OK)
            st = fail_comm(checking[i], v, weft_last_error(), TELL_NOBODY, NULL);
    }
    /* The other communicators of this thread will not run their calls:
     * their peers must not wait for them. */
    for (int c = 0; c < ncomms && st != WEFT_OK; c++) {
        if (comms[c]->error == WEFT_OK)
            fail_comm(comms[c], st, weft_last_error(), WEFT_NOTICE_ERROR, NULL);
    }
    return st;
}

weft_status_t weft__run_ops(weft_op_desc_t *ops, int nops)
{
    struct weft_comm *one_comm[1], *one_checking[1];
    int one_count[1];
    struct weft_comm **comms = one_comm, **checking = one_checking;
    weft_op_desc_t *sorted = ops;
    int *count = one_count;
    if (nops > 1) {
        comms = malloc((size_t)nops * sizeof(*comms));
        checking = malloc((size_t)nops * sizeof(*checking));
        count = malloc((size_t)nops * sizeof(*count));
        sorted = malloc((size_t)nops * sizeof(*sorted));
        if (comms == NULL || checking == NULL || count == NULL || sorted == NULL) {
            free(comms);
            free(checking);
            free(count);
            free(sorted);
            return weft__error(WEFT_ERR_NO_MEMORY, "group of %d calls", nops);
        }
    }
    int ncomms = nops > 1 ? partition(ops, nops, sorted, comms, count) : 1;
    if (nops == 1) {
        comms[0] = ops[0].comm;
        count[0] = 1;
    }
    weft_status_t st = enter_all(comms, ncomms);
    if (st == WEFT_OK) {
        st = sign_and_check(comms, checking, sorted, count, ncomms);
        for (int c = 0, at = 0; c < ncomms && st == WEFT_OK; at += count[c++]) {
            st = weft__plan_prepare(comms[c], &sorted[at], count[c]);
            /* Peers may already wait on this call: fail it for them too. */
            if (st != WEFT_OK)
                fail_comm(comms[c], st, weft_last_error(), WEFT_NOTICE_ERROR, NULL);
        }
        if (st == WEFT_OK)
            st = drive(comms, ncomms);
        for (int c = 0; c < ncomms; c++) {
            weft__diag_end(comms[c]);
            weft__comm_leave(comms[c]);
        }
    }
    if (nops > 1) {
        free(comms);
        free(checking);
        free(count);
        free(sorted);
    }
    return st;
}
