/*
 * proxy_comm.c - a communicator's stream-ordered side (proxy_device.h):
 * started at its first call on device buffers, asked by every later call
 * for the failure of an earlier one, waited for by host calls, drained by
 * destroy and failed by abort; and weft_comm_get_async_error().
 *
 * Host and device calls on one communicator run in the order they were
 * made, as every rank must see the same sequence: a host call first
 * waits for the device calls issued before it (weft__device_quiesce).
 * The proxy thread writes the communicator's execution state (plans,
 * the sticky error) while it runs a call, so the caller's thread reads
 * comm->error only while the proxy is idle; the proxy's own record of a
 * failure is read under its lock.
 */
#include "core/comm.h"
#include "core/direct.h"
#include "core/proxy_device.h"
#include "cuda/probe.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>

/* First thing on the proxy thread: the rank's log context and its GPU
 * (the proxy makes no CUDA call today, but whatever the executor may do
 * on the GPU later must find the communicator's device current). */
static void proxy_thread_init(void *ctx)
{
    weft_stream_calls_t *sc = ctx;
    weft__log_set_context(sc->comm->rank, sc->comm->nranks);
    if (sc->comm->device >= 0 && weft__cuda_use_device(sc->comm->device) != WEFT_OK)
        WEFT_WARN("the proxy thread could not bind to GPU %d: %s", sc->comm->device,
                  weft_last_error());
}

static void calls_free(weft_stream_calls_t *sc)
{
    weft__stage_free_all(sc);
    pthread_mutex_destroy(&sc->pool_lock);
    free(sc);
}

weft_status_t weft__device_calls(struct weft_comm *comm, weft_stream_calls_t **sc_p)
{
    if (comm->streams != NULL) {
        *sc_p = comm->streams;
        return WEFT_OK;
    }
    weft_stream_calls_t *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "the stream-ordered side of a communicator");
    sc->comm = comm;
    pthread_mutex_init(&sc->pool_lock, NULL);
    weft_status_t st = weft__stage_get(sc, 0, &sc->beat);
    if (st == WEFT_OK) {
        weft_proxy_config_t config = {
            .timeout_s = comm->timeout_s,
            .heartbeat = &((weft_stage_header_t *)sc->beat->host)->flag,
            .thread_init = proxy_thread_init,
            .ctx = sc,
        };
        st = weft__proxy_create(&config, &sc->proxy);
    }
    if (st != WEFT_OK) {
        calls_free(sc);
        return st;
    }
    comm->streams = sc;
    *sc_p = sc;
    return WEFT_OK;
}

weft_status_t weft__device_check(struct weft_comm *comm, const char *fn, int *busy_p)
{
    *busy_p = 0;
    if (comm->streams == NULL)
        return WEFT_OK;
    char msg[1024];
    weft_status_t st = weft__proxy_error(comm->streams->proxy, msg, sizeof(msg));
    if (st != WEFT_OK)
        return weft__error(st,
                           "%s: the communicator failed earlier, in a stream-ordered call "
                           "(%s); destroy or abort it",
                           fn, msg);
    *busy_p = weft__proxy_busy(comm->streams->proxy);
    return WEFT_OK;
}

weft_status_t weft__device_quiesce(struct weft_comm *comm, const char *fn)
{
    if (comm->streams == NULL)
        return WEFT_OK;
    return weft__proxy_quiesce(comm->streams->proxy, fn);
}

/* The calls of ops for one communicator: one stream, no call reading
 * what an earlier one writes.  Returns the stream in *stream_p. */
static weft_status_t check_one_comm(const weft_op_desc_t *ops, int n, const char *fn,
                                    void **stream_p)
{
    for (int i = 1; i < n; i++) {
        if (ops[i].stream != ops[0].stream)
            return weft__error(WEFT_ERR_UNSUPPORTED,
                               "%s: the group's calls on rank %d use "
                               "different streams (%p and %p); calls of one communicator in "
                               "a group must share one stream",
                               fn, ops[0].comm->rank, ops[0].stream, ops[i].stream);
    }
    int first = 0, second = 0;
    if (weft__stage_conflict(ops, n, &first, &second))
        return weft__error(WEFT_ERR_UNSUPPORTED,
                           "%s: on rank %d, call %d of the group writes "
                           "device memory that call %d reads; groups of such calls are not "
                           "supported on device buffers (issue them outside the group)",
                           fn, ops[0].comm->rank, first, second);
    *stream_p = ops[0].stream;
    return WEFT_OK;
}

/* The calls of ops on comm, in order, into out; returns how many. */
static int calls_of(const weft_op_desc_t *ops, int nops, const struct weft_comm *comm,
                    weft_op_desc_t *out)
{
    int n = 0;
    for (int i = 0; i < nops; i++) {
        if (ops[i].comm == comm)
            out[n++] = ops[i];
    }
    return n;
}

/* With check set: validates every communicator's calls; else issues them. */
static weft_status_t each_comm(weft_op_desc_t *ops, int nops, weft_op_desc_t *mine, int check,
                               const char *fn)
{
    weft_status_t st = WEFT_OK;
    for (int i = 0; i < nops && st == WEFT_OK; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = ops[j].comm == ops[i].comm;
        if (seen)
            continue;
        struct weft_comm *comm = ops[i].comm;
        int n = calls_of(ops, nops, comm, mine);
        void *stream = NULL;
        weft_stream_calls_t *sc = NULL;
        st = check_one_comm(mine, n, fn, &stream);
        if (check || st != WEFT_OK)
            continue;
        st = weft__comm_check(comm);
        if (st == WEFT_OK)
            st = weft__comm_enter(comm);
        if (st != WEFT_OK)
            break;
        st = weft__device_calls(comm, &sc);
        if (st == WEFT_OK && weft__direct_takes(mine, n))
            st = weft__direct_submit(sc, &mine[0], stream, fn);
        else if (st == WEFT_OK)
            st = weft__device_submit(sc, mine, n, stream, fn);
        weft__comm_leave(comm);
    }
    return st;
}

weft_status_t weft__device_run(weft_op_desc_t *ops, int nops, const char *fn)
{
    weft_op_desc_t one[1];
    weft_op_desc_t *mine = nops == 1 ? one : malloc((size_t)nops * sizeof(*mine));
    if (mine == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: a group of %d calls", fn, nops);
    weft_status_t st = each_comm(ops, nops, mine, 1, fn);
    if (st == WEFT_OK)
        st = each_comm(ops, nops, mine, 0, fn);
    if (mine != one)
        free(mine);
    return st;
}

void weft__device_stop(struct weft_comm *comm, int abort)
{
    if (comm->streams != NULL)
        weft__proxy_stop(comm->streams->proxy, abort);
}

void weft__device_end(struct weft_comm *comm, int abort)
{
    weft_stream_calls_t *sc = comm->streams;
    if (sc == NULL) {
        weft__direct_end(comm, abort); /* no round ran, but peers may hold the buffer open */
        return;
    }
    comm->streams = NULL;
    /* Streams pass failed calls at once; destroy also waits for streams
     * still busy with the application's own work before the calls. */
    double wait_s = abort ? 2.0 : comm->timeout_s > 0 ? comm->timeout_s : 3600.0;
    if (weft__proxy_destroy(sc->proxy, wait_s)) {
        calls_free(sc);
        weft__direct_end(comm, abort);
    }
    /* else a stream still holds a call: sc and its buffers, and the
     * shared GPU buffers a round may still read, stay (logged) */
}

WEFT_EXPORT weft_status_t weft_comm_get_async_error(weft_comm_t comm, weft_status_t *status_p)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    if (status_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "status_p is NULL");
    int busy = 0;
    weft_status_t async = weft__device_check(comm, "weft_comm_get_async_error", &busy);
    if (async == WEFT_OK && !busy && comm->error != WEFT_OK)
        async = weft__error(comm->error, "the communicator failed earlier (%s)", comm->error_msg);
    *status_p = async;
    return WEFT_OK;
}
