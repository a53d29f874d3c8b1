/*
 * proxy_thread.c - the life of a proxy thread (proxy.h): start, the loop
 * that runs calls in issue order, stop and destroy.
 *
 * The loop takes the head of the queue.  A head that its stream has not
 * reached yet is waited for, up to the timeout since the previous call
 * completed; a head after a failure (or an abort) is completed as failed
 * without running, so that its stream's wait ends at once.  Completing a
 * call sets its flag after everything the call wrote (a release fence:
 * the stream copies the results out as soon as it sees the flag).
 */
#include "core/proxy_internal.h"
#include "util/log.h"
#include "util/time.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#define POLL_NS 100000000u /* a sleeping waiter looks at the clock every 100 ms */

static uint64_t timeout_ns(const weft_proxy_t *p)
{
    return p->config.timeout_s > 0 ? (uint64_t)(p->config.timeout_s * 1e9) : 0;
}

/* Sets the call's flag and takes it off the queue (lock held). */
static void complete_locked(weft_proxy_t *p, weft_proxy_op_t *op, uint32_t value)
{
    /* The call's results are in host memory; the stream copies them to
     * the device as soon as it reads the flag, so they go first. */
    atomic_thread_fence(memory_order_release);
    *op->work.flag = value;
    op->state = WEFT_PROXY_OP_COMPLETE;
    p->head = op->next;
    if (p->head == NULL)
        p->tail = NULL;
    p->completed++;
    weft__proxy_beat(p);
    pthread_cond_broadcast(&p->settled);
    weft__proxy_put_locked(p, op);
}

/* Runs op with the lock dropped; completes it. */
static void run_locked(weft_proxy_t *p, weft_proxy_op_t *op)
{
    op->state = WEFT_PROXY_OP_RUNNING;
    weft__proxy_beat(p);
    pthread_mutex_unlock(&p->lock);
    char why[1024] = "";
    weft_status_t st = op->work.run(op->work.arg, why, sizeof(why));
    pthread_mutex_lock(&p->lock);
    if (st != WEFT_OK)
        weft__proxy_record_error(p, st, "%s", why[0] != '\0' ? why : weft_status_string(st));
    complete_locked(p, op, st == WEFT_OK ? WEFT_PROXY_DONE : WEFT_PROXY_FAILED);
}

static void *proxy_main(void *arg)
{
    weft_proxy_t *p = arg;
    if (p->config.thread_init != NULL)
        p->config.thread_init(p->config.ctx);
    uint64_t waited_seq = UINT64_MAX, waited_since = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        weft_proxy_op_t *op = p->head;
        if (op == NULL) {
            if (p->stop)
                break;
            weft__proxy_timed_wait(&p->wake, &p->lock, 10 * (uint64_t)POLL_NS);
            continue;
        }
        if (p->aborting || p->error != WEFT_OK) {
            complete_locked(p, op, WEFT_PROXY_FAILED);
            continue;
        }
        if (op->state != WEFT_PROXY_OP_READY) {
            uint64_t now = weft__now_ns();
            if (op->seq != waited_seq) {
                waited_seq = op->seq;
                waited_since = now;
            }
            if (timeout_ns(p) > 0 && now - waited_since >= timeout_ns(p)) {
                weft__proxy_record_error(p, WEFT_ERR_TIMEOUT,
                                         "%s (call %llu of this rank's stream-ordered calls): "
                                         "its stream did not reach it within %g s of the call "
                                         "before (WEFT_TIMEOUT)",
                                         op->work.name, (unsigned long long)op->seq,
                                         p->config.timeout_s);
                continue; /* failed on the next round */
            }
            weft__proxy_timed_wait(&p->wake, &p->lock, POLL_NS);
            continue;
        }
        run_locked(p, op);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static weft_status_t init_sync(weft_proxy_t *p)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return WEFT_ERR_SYSTEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_mutex_init(&p->lock, NULL);
    rc = rc ? rc : pthread_cond_init(&p->wake, &attr);
    rc = rc ? rc : pthread_cond_init(&p->settled, &attr);
    pthread_condattr_destroy(&attr);
    return rc == 0 ? WEFT_OK : WEFT_ERR_SYSTEM;
}

weft_status_t weft__proxy_create(const weft_proxy_config_t *config, weft_proxy_t **proxy_p)
{
    weft_proxy_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "the proxy of stream-ordered calls");
    p->config = *config;
    if (init_sync(p) != WEFT_OK) {
        free(p);
        return weft__error(WEFT_ERR_SYSTEM, "the proxy's mutex and condition variables");
    }
    /* Signals belong to the application (util/thread.h): the thread
     * inherits a mask that blocks them all. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, proxy_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&p->settled);
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return weft__error(WEFT_ERR_SYSTEM, "could not start the proxy thread (error %d)", rc);
    }
    p->thread_started = 1;
    *proxy_p = p;
    return WEFT_OK;
}

/* destroy: waits for the issued calls, the deadline moving with each one
 * that completes; what is left then fails (lock held).  A backstop, at
 * twice the calls' own deadline: those fail first, and say why. */
static void drain_locked(weft_proxy_t *p)
{
    uint64_t seen = p->completed, since = weft__now_ns();
    uint64_t limit = timeout_ns(p) > 0 ? 2 * timeout_ns(p) + 1000000000u : 0;
    while (p->completed < p->issued && !p->aborting) {
        if (p->completed != seen) {
            seen = p->completed;
            since = weft__now_ns();
        }
        if (limit > 0 && weft__now_ns() - since >= limit) {
            weft__proxy_record_error(p, WEFT_ERR_TIMEOUT,
                                     "weft_comm_destroy: %llu stream-ordered calls did not "
                                     "complete within %g s; they were failed",
                                     (unsigned long long)(p->issued - p->completed),
                                     (double)limit * 1e-9);
            p->aborting = 1;
            break;
        }
        weft__proxy_timed_wait(&p->settled, &p->lock, POLL_NS);
    }
}

void weft__proxy_stop(weft_proxy_t *p, int abort)
{
    pthread_mutex_lock(&p->lock);
    p->closing = 1;
    if (abort) {
        weft__proxy_record_error(p, WEFT_ERR_INVALID_USAGE, "the communicator was aborted");
        p->aborting = 1;
        /* The streams' waits end now, not when the running call has left
         * (the thread completes these calls, as failed, after it). */
        for (weft_proxy_op_t *op = p->head; op != NULL; op = op->next) {
            if (op->state != WEFT_PROXY_OP_RUNNING)
                *op->work.flag = WEFT_PROXY_FAILED;
        }
    } else {
        drain_locked(p);
    }
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

int weft__proxy_destroy(weft_proxy_t *p, double wait_s)
{
    pthread_mutex_lock(&p->lock);
    p->closing = p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->thread_started)
        pthread_join(p->thread, NULL); /* it leaves once the queue is empty */
    pthread_mutex_lock(&p->lock);
    uint64_t wait_ns = wait_s > 0 ? (uint64_t)(wait_s * 1e9) : 0;
    int seen = p->live;
    uint64_t since = weft__now_ns();
    while (p->live > 0 && !p->tainted) {
        if (p->live != seen) {
            seen = p->live;
            since = weft__now_ns();
        }
        if (weft__now_ns() - since >= wait_ns)
            break;
        weft__proxy_timed_wait(&p->settled, &p->lock, POLL_NS / 10);
    }
    int freeable = p->live == 0 && !p->tainted;
    int live = p->live;
    pthread_mutex_unlock(&p->lock);
    if (!freeable) {
        WEFT_WARN("%d stream-ordered call%s still held by %s: their staging memory and the "
                  "proxy are kept (not freed)",
                  live, live == 1 ? " is" : "s are",
                  p->tainted ? "a stream after a failed enqueue"
                             : "streams that never passed them");
        return 0;
    }
    pthread_cond_destroy(&p->settled);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return 1;
}
