/*
 * group.c - weft_group_start() / weft_group_end().
 *
 * Between the two, calls on host buffers are recorded (per thread) instead
 * of run; the outermost weft_group_end() runs them all together, so that
 * one thread can drive every rank of weft_comm_init_all() and a rank can
 * post sends and receives to several peers at once without deadlock.
 */
#include "core/comm.h"
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
        st = weft__run_ops(group_ops, group_nops);
    group_nops = 0;
    if (group_cap > 1024) { /* do not keep a huge queue around */
        free(group_ops);
        group_ops = NULL;
        group_cap = 0;
        pthread_setspecific(queue_key, NULL);
    }
    return st;
}
