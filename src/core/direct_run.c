/*
 * direct_run.c - the proxy's side of a round of the direct path
 * (direct.h): one proxy call per barrier, each with a flag word of its
 * own (a header-only buffer of the staging pool), and the host functions
 * the stream runs.  A round's memory is freed once every call is
 * released: the proxy completed it and the stream passed the round.
 *
 * Barrier 0 first waits until this rank's earlier rounds have passed, so
 * that once every rank has joined no one reads the shared buffers any
 * more.  A later barrier is not joined if the GPU stopped waiting for the
 * one before it: the guarded work in between may then have been skipped,
 * and peers would read a stale buffer.  (The stream runs the next
 * barrier's host function after that wait kernel ended, so its gave_up
 * word is final.)
 */
#include "core/comm.h"
#include "core/direct_internal.h"
#include "util/log.h"
#include "util/time.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ROUND_POLL_US 20

static weft_stage_header_t *header(const weft_stage_t *st)
{
    return (weft_stage_header_t *)st->host;
}

/* A barrier over the host transports, on the proxy thread. */
static weft_status_t barrier(struct weft_comm *comm, char *why, size_t why_len)
{
    weft_op_desc_t d;
    weft__op_desc_init(&d, comm, WEFT_COLL_BARRIER, 0, WEFT_UINT8, WEFT_SUM, 0, NULL, NULL);
    weft__clear_error();
    weft_status_t st = weft__run_ops(&d, 1);
    if (st != WEFT_OK)
        snprintf(why, why_len, "weft_allreduce (direct path): %s", weft_last_error());
    return st;
}

/* Barrier 0's wait for this rank's earlier rounds to pass. */
static weft_status_t earlier_rounds_passed(const direct_round_t *r, char *why, size_t why_len)
{
    struct weft_comm *comm = r->sc->comm;
    uint64_t deadline = weft__deadline_after(comm->timeout_s);
    while (atomic_load(&comm->direct->passed) < r->index) {
        if (atomic_load(&comm->dying)) {
            snprintf(why, why_len, "weft_allreduce (direct path): the communicator is ending");
            return WEFT_ERR_INVALID_USAGE;
        }
        if (comm->timeout_s > 0 && weft__deadline_passed(deadline)) {
            snprintf(why, why_len, "weft_allreduce (direct path): the stream of an earlier "
                     "round did not pass it within %.1f s", comm->timeout_s);
            return WEFT_ERR_TIMEOUT;
        }
        usleep(ROUND_POLL_US);
    }
    return WEFT_OK;
}

static weft_status_t run_part(void *arg, char *why, size_t why_len)
{
    const direct_part_t *part = arg;
    direct_round_t *r = part->round;
    weft_status_t st = WEFT_OK;
    if (part->k == 0) {
        st = earlier_rounds_passed(r, why, why_len);
    } else if (header(r->flags[part->k - 1])->gave_up) {
        snprintf(why, why_len, "weft_allreduce (direct path): the GPU stopped waiting for "
                 "barrier %d of round %llu", part->k - 1, (unsigned long long)r->index);
        st = WEFT_ERR_TIMEOUT;
    }
    if (st == WEFT_OK)
        st = barrier(r->sc->comm, why, why_len);
    if (st == WEFT_OK && part->k == r->nbarriers - 1)
        r->sc->comm->last_algo = r->algo;
    return st;
}

static void release_part(void *arg)
{
    const direct_part_t *part = arg;
    direct_round_t *r = part->round;
    weft__stage_put(r->sc, r->flags[part->k]);
    if (atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

/* Host functions on the stream: no CUDA call, no blocking. */
static void ready_0(void *arg)
{
    weft__proxy_op_ready(((direct_round_t *)arg)->op[0]);
}

static void ready_1(void *arg)
{
    weft__proxy_op_ready(((direct_round_t *)arg)->op[1]);
}

static void ready_2(void *arg)
{
    weft__proxy_op_ready(((direct_round_t *)arg)->op[2]);
}

static void passed(void *arg)
{
    direct_round_t *r = arg;
    int n = r->nbarriers, gave_up[WEFT_DIRECT_MAX_BARRIERS], any = 0;
    weft_proxy_op_t *op[WEFT_DIRECT_MAX_BARRIERS];
    for (int k = 0; k < n; k++) {
        op[k] = r->op[k];
        gave_up[k] = header(r->flags[k])->gave_up != 0;
        any |= gave_up[k];
    }
    /* Before the count moves: the next round's barrier 0 must not be
     * joined after a round whose output is undefined. */
    if (any)
        weft__proxy_fail(r->sc->proxy, WEFT_ERR_TIMEOUT,
                         "weft_allreduce (direct path): the GPU stopped waiting for a barrier; "
                         "the output is undefined");
    atomic_fetch_add(&r->sc->comm->direct->passed, 1);
    for (int k = 0; k < n; k++) /* r may be gone after the last */
        weft__proxy_op_passed(op[k], gave_up[k]);
}

void weft__direct_stream_pieces(const direct_round_t *r, weft__cuda_direct_round_t *q)
{
    static void (*const ready[WEFT_DIRECT_MAX_BARRIERS])(void *) = {ready_0, ready_1, ready_2};
    q->nbarriers = r->nbarriers;
    for (int k = 0; k < r->nbarriers; k++) {
        q->ready[k] = ready[k];
        q->flag_dev[k] = r->flags[k]->dev + offsetof(weft_stage_header_t, flag);
        q->gave_up_dev[k] = r->flags[k]->dev + offsetof(weft_stage_header_t, gave_up);
    }
    q->passed = passed;
    q->arg = (void *)r;
    q->heartbeat_dev = r->sc->beat->dev + offsetof(weft_stage_header_t, flag);
    q->wait_limit_ns = weft__device_wait_limit_ns(r->sc->comm);
}

void weft__direct_cancel(direct_round_t *r, weft_status_t st)
{
    char why[1024];
    snprintf(why, sizeof(why), "%s", weft_last_error());
    for (int k = 0; k < r->nbarriers; k++) /* the stream may hold any part: keep all */
        weft__proxy_op_cancel(r->op[k], st, why);
}

weft_status_t weft__direct_issue(weft_stream_calls_t *sc, int nbarriers, const char *algo,
                                 const char *fn, direct_round_t **round_p)
{
    direct_round_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: a round of the direct path", fn);
    r->sc = sc;
    r->nbarriers = nbarriers;
    r->algo = algo;
    r->index = sc->comm->direct->rounds;
    weft_status_t st = WEFT_OK;
    int got = 0;
    for (; got < nbarriers && st == WEFT_OK; got++)
        st = weft__stage_get(sc, 0, &r->flags[got]);
    if (st != WEFT_OK) {
        for (int k = 0; k < got - 1; k++)
            weft__stage_put(sc, r->flags[k]);
        free(r);
        return st;
    }
    atomic_store(&r->refs, nbarriers);
    int k = 0;
    for (; k < nbarriers && st == WEFT_OK; k++) {
        r->part[k] = (direct_part_t){r, k};
        weft_proxy_work_t w = {run_part, release_part, &r->part[k],
                               &header(r->flags[k])->flag, fn};
        st = weft__proxy_issue(sc->proxy, &w, &r->op[k]);
    }
    if (st != WEFT_OK) {
        /* Barriers 0..k-2 are issued, and nothing of the round is on a
         * stream: the proxy fails them at once, and they are released as
         * if their stream had passed them. */
        int issued = k - 1;
        weft__proxy_fail(sc->proxy, st, weft_last_error());
        for (int j = issued; j < nbarriers; j++)
            weft__stage_put(sc, r->flags[j]);
        if (issued == 0) {
            free(r);
            return st;
        }
        atomic_store(&r->refs, issued);
        for (int j = 0; j < issued; j++) /* r may be gone after the last */
            weft__proxy_op_passed(r->op[j], 0);
        return st;
    }
    sc->comm->direct->rounds++;
    *round_p = r;
    return WEFT_OK;
}
