/*
 * proxy_internal.h - the proxy's state, shared by the queue (proxy.c) and
 * the thread's life (proxy_thread.c).  Nothing else includes it.
 */
#ifndef WEFT_CORE_PROXY_INTERNAL_H
#define WEFT_CORE_PROXY_INTERNAL_H

#include "core/proxy.h"

#include <pthread.h>
#include <stdarg.h>

/* A call's life: issued by the API, ready when its stream has copied the
 * inputs, running on the proxy thread, complete once its flag is set. */
enum { WEFT_PROXY_OP_ISSUED, WEFT_PROXY_OP_READY, WEFT_PROXY_OP_RUNNING, WEFT_PROXY_OP_COMPLETE };

struct weft_proxy_op {
    weft_proxy_work_t work;
    weft_proxy_t *proxy;
    uint64_t seq; /* issue order, from 0 */
    int state;
    int refs; /* the proxy's until complete, the stream's until passed */
    weft_proxy_op_t *next;
};

struct weft_proxy {
    weft_proxy_config_t config;
    pthread_mutex_t lock;
    pthread_cond_t wake;          /* the thread: a call issued or ready, a stop */
    pthread_cond_t settled;       /* waiters: a call completed or was released */
    weft_proxy_op_t *head, *tail; /* issued, not complete, in issue order */
    uint64_t issued, completed;
    int live;            /* calls not yet released */
    int closing;         /* no more calls accepted */
    int aborting;        /* calls not running fail at once */
    int stop;            /* the thread exits once the queue is empty */
    int tainted;         /* a cancelled call may still be touched: never free */
    weft_status_t error; /* the first failure, sticky */
    char error_msg[1024];
    pthread_t thread;
    int thread_started;
};

/* proxy.c: helpers the thread uses too.  All but timed_wait need the lock. */
void weft__proxy_record_error(weft_proxy_t *p, weft_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void weft__proxy_beat(weft_proxy_t *p);
void weft__proxy_put_locked(weft_proxy_t *p, weft_proxy_op_t *op);
/* Waits on cond at most ns (CLOCK_MONOTONIC condition variables). */
void weft__proxy_timed_wait(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t ns);

#endif
