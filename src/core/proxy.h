/*
 * proxy.h - the proxy thread of a communicator: runs stream-ordered calls,
 * one at a time, in the order they were issued.
 *
 * A call on device buffers returns at once; the caller's stream later
 * reaches it.  The stream copies the inputs to pinned host memory, then
 * runs a host function that only marks the call *ready* here (it must not
 * block and must make no CUDA call: CUDA may run every host function of a
 * process on one thread, so one that waited would stop every rank of a
 * process), then waits on a word of host memory -- the call's *flag* --
 * that the proxy sets when the call is done or failed.  The proxy runs
 * the ordinary host collective in between.  This file knows nothing of
 * CUDA: a call is a weft_proxy_work_t (what to run, which flag to set,
 * what to do when nobody needs it any more), so that the ordering, the
 * errors, the deadlines and abort are unit-tested without a GPU
 * (tests/unit/test_proxy.c).  core/proxy_device.c makes the calls,
 * cuda/stream.c puts them on streams.
 *
 * Rules:
 *   - calls run in issue order, whatever order their streams reach them,
 *     so that every rank runs the same sequence (the calls of one rank
 *     may be on several streams);
 *   - every wait has a deadline, the communicator's timeout without
 *     progress: a call whose stream does not reach it in time fails with
 *     WEFT_ERR_TIMEOUT (the host collective it runs has its own); waits
 *     for calls to complete (a host call after them, destroy, the GPU's
 *     wait) are backstops at twice that, so that the calls' own
 *     deadlines fail first and say why;
 *   - the first failure is recorded (status and message) and fails every
 *     later call without running it, as a failed host call fails the
 *     communicator; weft__proxy_error() returns it;
 *   - a call is released (work.release) once the proxy has completed it
 *     *and* its stream has passed it (weft__proxy_op_passed): only then
 *     is its staging memory free for another call, even when the GPU
 *     gave up waiting before the proxy finished.
 */
#ifndef WEFT_CORE_PROXY_H
#define WEFT_CORE_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

/* Values of a call's flag word, as the stream's wait reads them. */
enum { WEFT_PROXY_PENDING = 0, WEFT_PROXY_DONE = 1, WEFT_PROXY_FAILED = 2 };

typedef struct weft_proxy weft_proxy_t;
typedef struct weft_proxy_op weft_proxy_op_t;

/* One stream-ordered call. */
typedef struct {
    /* On the proxy thread: the call's work; on failure a message in why. */
    weft_status_t (*run)(void *arg, char *why, size_t why_len);
    /* Once nobody uses the call any more (any thread; must not block). */
    void (*release)(void *arg);
    void *arg;
    volatile uint32_t *flag; /* set to DONE or FAILED when the call completes */
    const char *name;        /* "weft_allreduce", for messages */
} weft_proxy_work_t;

typedef struct {
    double timeout_s; /* deadline without progress; <= 0: none */
    /* Bumped when a call starts or completes, so that a stream's wait
     * can tell a slow proxy from a dead one; NULL: none. */
    volatile uint32_t *heartbeat;
    /* Run first on the proxy thread (binds it to the GPU); may be NULL. */
    void (*thread_init)(void *ctx);
    void *ctx;
} weft_proxy_config_t;

/* Starts the proxy thread. */
weft_status_t weft__proxy_create(const weft_proxy_config_t *config, weft_proxy_t **proxy_p);

/* Appends a call (the caller's thread).  Fails once stop has begun or
 * after a failure (the recorded error). */
weft_status_t weft__proxy_issue(weft_proxy_t *p, const weft_proxy_work_t *work,
                                weft_proxy_op_t **op_p);

/* The stream reached the call: its inputs are in place.  Never blocks for
 * long; no CUDA call. */
void weft__proxy_op_ready(weft_proxy_op_t *op);

/* The stream is past the call (its results have been copied out); with
 * gpu_gave_up set the stream's wait reached its deadline, which fails
 * the communicator (the stream went on without the result, even if the
 * call completed since). */
void weft__proxy_op_passed(weft_proxy_op_t *op, int gpu_gave_up);

/* The call could not be put on its stream whole (a CUDA error after
 * issue): the communicator fails with st/why, and since the stream may
 * still touch the call, nothing of it or of the proxy is freed later. */
void weft__proxy_op_cancel(weft_proxy_op_t *op, weft_status_t st, const char *why);

/* Fails every later call with st/why: a call that could not be issued
 * after it was begun leaves this rank's sequence unlike its peers'. */
void weft__proxy_fail(weft_proxy_t *p, weft_status_t st, const char *why);

/* Waits until every call issued so far has completed (for a host call
 * that must come after them).  Returns the recorded error, if any. */
weft_status_t weft__proxy_quiesce(weft_proxy_t *p, const char *fn);

/* The first failure (WEFT_OK if none); its message into msg. */
weft_status_t weft__proxy_error(weft_proxy_t *p, char *msg, size_t len);

/* 1 while some issued call has not completed. */
int weft__proxy_busy(weft_proxy_t *p);

/* Stops accepting calls.  abort = 0: waits (deadline) for the issued
 * calls to complete, then fails what is left; abort = 1: fails every call
 * not running at once (the running one ends when the communicator is
 * marked dying).  The thread is told to exit; it is joined by destroy. */
void weft__proxy_stop(weft_proxy_t *p, int abort);

/* Joins the thread and waits up to wait_s for the streams to pass their
 * calls; then frees the proxy and returns 1, or, if a stream still holds
 * a call (or one was cancelled), keeps everything (a leak, logged) and
 * returns 0: the caller must then keep what the calls use too. */
int weft__proxy_destroy(weft_proxy_t *p, double wait_s);

#endif
