/*
 * thread.h - the library's own background threads (the bootstrap root, the
 * hang-report watcher): detached, and with every signal blocked, because
 * signals belong to the application -- a library thread that took one
 * could run the application's handler, or, for the watcher, block the
 * pipe the handler writes to.
 */
#ifndef WEFT_UTIL_THREAD_H
#define WEFT_UTIL_THREAD_H

#include <pthread.h>
#include <signal.h>

/* pthread_create's status: 0, or the error. */
static inline int weft__thread_start(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits the mask */
    pthread_t tid;
    int rc = pthread_create(&tid, &attr, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

#endif
