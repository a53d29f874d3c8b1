/*
 * proxy.c - the proxy thread and its queue (proxy.h).
 *
 * One mutex guards the queue; two condition variables wake the thread
 * (`wake`: a call issued, ready, or a stop) and whoever waits for calls
 * to settle (`settled`: a call completed or was released).  The thread
 * never holds the mutex while it runs a call, and the stream's host
 * functions hold it only to flip a state, so they never wait long.
 *
 * Calls live in a singly linked list in issue order; the head is the
 * next to run.  A call has two references: the proxy's, dropped when it
 * completes, and the stream's, dropped when the stream has passed it;
 * the last one releases it.  `live` counts calls not yet released, which
 * destroy waits for: a stream may still reach a call after an abort, and
 * its host functions then touch the call and this struct.
 */
#include "core/proxy_internal.h"
#include "util/log.h"
#include "util/time.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void weft__proxy_record_error(weft_proxy_t *p, weft_status_t st, const char *fmt, ...)
{
    if (p->error != WEFT_OK)
        return; /* the first failure is the one worth reporting */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error_msg, sizeof(p->error_msg), fmt, ap);
    va_end(ap);
    p->error = st;
    WEFT_WARN("stream-ordered calls failed: %s", p->error_msg);
}

void weft__proxy_beat(weft_proxy_t *p)
{
    if (p->config.heartbeat != NULL)
        *p->config.heartbeat = *p->config.heartbeat + 1;
}

void weft__proxy_timed_wait(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t at = (uint64_t)ts.tv_nsec + ns;
    ts.tv_sec += (time_t)(at / 1000000000u);
    ts.tv_nsec = (long)(at % 1000000000u);
    pthread_cond_timedwait(cond, lock, &ts);
}

/* Drops one reference of op (lock held); the last releases it, which
 * happens with the lock dropped for the callback. */
void weft__proxy_put_locked(weft_proxy_t *p, weft_proxy_op_t *op)
{
    if (--op->refs > 0)
        return;
    pthread_mutex_unlock(&p->lock);
    if (op->work.release != NULL)
        op->work.release(op->work.arg);
    free(op);
    pthread_mutex_lock(&p->lock);
    p->live--;
    pthread_cond_broadcast(&p->settled);
}

weft_status_t weft__proxy_issue(weft_proxy_t *p, const weft_proxy_work_t *work,
                                weft_proxy_op_t **op_p)
{
    weft_proxy_op_t *op = calloc(1, sizeof(*op));
    if (op == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: a stream-ordered call", work->name);
    op->work = *work;
    op->proxy = p;
    op->refs = 2; /* the proxy's and the stream's */
    op->state = WEFT_PROXY_OP_ISSUED;
    pthread_mutex_lock(&p->lock);
    weft_status_t st = WEFT_OK;
    if (p->closing)
        st = weft__error(WEFT_ERR_INVALID_USAGE,
                         "%s: the communicator is being destroyed or "
                         "aborted",
                         work->name);
    else if (p->error != WEFT_OK)
        st = weft__error(p->error, "%s: an earlier stream-ordered call failed (%s)", work->name,
                         p->error_msg);
    if (st == WEFT_OK) {
        op->seq = p->issued++;
        if (p->tail != NULL)
            p->tail->next = op;
        else
            p->head = op;
        p->tail = op;
        p->live++;
        pthread_cond_signal(&p->wake);
    }
    pthread_mutex_unlock(&p->lock);
    if (st != WEFT_OK) {
        free(op);
        return st;
    }
    *op_p = op;
    return WEFT_OK;
}

void weft__proxy_op_ready(weft_proxy_op_t *op)
{
    weft_proxy_t *p = op->proxy;
    pthread_mutex_lock(&p->lock);
    if (op->state == WEFT_PROXY_OP_ISSUED) {
        op->state = WEFT_PROXY_OP_READY;
        pthread_cond_signal(&p->wake);
    }
    pthread_mutex_unlock(&p->lock);
}

void weft__proxy_op_passed(weft_proxy_op_t *op, int gpu_gave_up)
{
    weft_proxy_t *p = op->proxy;
    pthread_mutex_lock(&p->lock);
    /* Even if the proxy completed the call since: the stream went on
     * without waiting, so what it copied or computed after the wait may
     * predate the result. */
    if (gpu_gave_up) {
        weft__proxy_record_error(p, WEFT_ERR_TIMEOUT,
                                 "%s (call %llu of this rank's stream-ordered calls): the GPU "
                                 "stopped waiting for it, the proxy having shown no progress "
                                 "for twice the timeout of %g s; its output is undefined",
                                 op->work.name, (unsigned long long)op->seq, p->config.timeout_s);
        pthread_cond_signal(&p->wake);
    }
    weft__proxy_put_locked(p, op);
    pthread_mutex_unlock(&p->lock);
}

void weft__proxy_op_cancel(weft_proxy_op_t *op, weft_status_t st, const char *why)
{
    weft_proxy_t *p = op->proxy;
    pthread_mutex_lock(&p->lock);
    weft__proxy_record_error(p, st, "%s", why);
    p->tainted = 1; /* the stream may still touch op: it is never released */
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void weft__proxy_fail(weft_proxy_t *p, weft_status_t st, const char *why)
{
    pthread_mutex_lock(&p->lock);
    weft__proxy_record_error(p, st, "%s", why);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

weft_status_t weft__proxy_quiesce(weft_proxy_t *p, const char *fn)
{
    pthread_mutex_lock(&p->lock);
    uint64_t target = p->issued, seen = p->completed;
    /* A backstop: every call's own waits end at the timeout and fail it
     * with the real reason, which this wait should report, not race. */
    uint64_t timeout_ns =
        p->config.timeout_s > 0 ? (uint64_t)((2 * p->config.timeout_s + 1) * 1e9) : 0;
    uint64_t since = weft__now_ns();
    weft_status_t st = WEFT_OK;
    while (p->completed < target) {
        if (p->completed != seen) { /* progress: the deadline moves */
            seen = p->completed;
            since = weft__now_ns();
        }
        if (timeout_ns > 0 && weft__now_ns() - since >= timeout_ns) {
            st = weft__error(WEFT_ERR_TIMEOUT,
                             "%s: %llu earlier stream-ordered calls did not "
                             "complete within %g s",
                             fn, (unsigned long long)(target - p->completed),
                             (double)timeout_ns * 1e-9);
            break;
        }
        weft__proxy_timed_wait(&p->settled, &p->lock, 100000000u);
    }
    if (st == WEFT_OK && p->error != WEFT_OK)
        st = weft__error(p->error, "%s: an earlier stream-ordered call failed (%s)", fn,
                         p->error_msg);
    pthread_mutex_unlock(&p->lock);
    return st;
}

weft_status_t weft__proxy_error(weft_proxy_t *p, char *msg, size_t len)
{
    pthread_mutex_lock(&p->lock);
    weft_status_t st = p->error;
    if (st != WEFT_OK && msg != NULL && len > 0)
        snprintf(msg, len, "%s", p->error_msg);
    pthread_mutex_unlock(&p->lock);
    return st;
}

int weft__proxy_busy(weft_proxy_t *p)
{
    pthread_mutex_lock(&p->lock);
    int busy = p->completed < p->issued;
    pthread_mutex_unlock(&p->lock);
    return busy;
}
