/*
 * group.c - weft_group_start() / weft_group_end().
 *
 * Between the two, calls are recorded (per thread) instead of run; the
 * outermost weft_group_end() runs them all together, so that one thread
 * can drive every rank of weft_comm_init_all() and a rank can post sends
 * and receives to several peers at once without deadlock.
 *
 * A group of calls on device buffers becomes one stream-ordered proxy
 * call per communicator (core/proxy_device.h): its calls must share one
 * stream, and none may read device memory an earlier one writes (each is
 * staged before any runs).  A group that mixes host and device buffers is
 * refused: the host calls would block while the device calls wait for
 * their streams.  All of these are WEFT_ERR_UNSUPPORTED, checked before
 * anything is issued.
 */
#include "core/comm.h"
#include "core/proxy_device.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>

static __thread int group_depth;
static __thread weft_op_desc_t *group_ops;
static __thread int group_nops, group_cap;

/* The queue is per thread; a key's destructor frees it when the thread
 * exits. */
static pthread_key_t queue_key;
static pthread_once_t queue_once = PTHREAD_ONCE_INIT;

static void queue_free(void *p)
{
    free(p);
}

static void queue_key_init(void)
{
    pthread_key_create(&queue_key, queue_free);
}

int weft__group_active(void)
{
    return group_depth > 0;
}

weft_status_t weft__group_enqueue(const weft_op_desc_t *op)
{
    if (group_nops == group_cap) {
        int cap = group_cap ? group_cap * 2 : 16;
        weft_op_desc_t *p = realloc(group_ops, (size_t)cap * sizeof(*p));
        if (p == NULL)
            return weft__error(WEFT_ERR_NO_MEMORY, "group of %d calls", group_nops + 1);
        group_ops = p;
        group_cap = cap;
        pthread_once(&queue_once, queue_key_init);
        pthread_setspecific(queue_key, p);
    }
    group_ops[group_nops++] = *op;
    return WEFT_OK;
}

/* Device calls as stream-ordered proxy calls; host calls after the device
 * calls their communicators issued before. */
static weft_status_t run_group(weft_op_desc_t *ops, int nops)
{
    static const char fn[] = "weft_group_end";
    int ndevice = 0;
    for (int i = 0; i < nops; i++)
        ndevice += ops[i].on_device != 0;
    if (ndevice == nops)
        return weft__device_run(ops, nops, fn);
    if (ndevice > 0)
        return weft__error(WEFT_ERR_UNSUPPORTED, "%s: the group mixes %d calls on device "
                           "buffers with %d on host buffers; issue them in separate groups",
                           fn, ndevice, nops - ndevice);
    for (int i = 0; i < nops; i++) {
        weft_status_t st = weft__comm_check(ops[i].comm);
        if (st == WEFT_OK)
            st = weft__device_quiesce(ops[i].comm, fn);
        if (st != WEFT_OK)
            return st;
    }
    return weft__run_ops(ops, nops);
}

WEFT_EXPORT weft_status_t weft_group_start(void)
{
    group_depth++;
    return WEFT_OK;
}

WEFT_EXPORT weft_status_t weft_group_end(void)
{
    weft__clear_error();
    if (group_depth == 0)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "weft_group_end() without a matching weft_group_start()");
    if (--group_depth > 0)
        return WEFT_OK;
    weft_status_t st = WEFT_OK;
    if (group_nops > 0)
        st = run_group(group_ops, group_nops);
    group_nops = 0;
    if (group_cap > 1024) { /* do not keep a huge queue around */
        free(group_ops);
        group_ops = NULL;
        group_cap = 0;
        pthread_setspecific(queue_key, NULL);
    }
    return st;
}
