/*
 * comm_registry.c - the set of live communicators.
 *
 * Every public call checks its communicator here first, so that a
 * destroyed (or aborted, or never created) handle gets a clear
 * WEFT_ERR_INVALID_USAGE instead of a use-after-free.  An open-addressing
 * hash set of pointers under a read-write lock: calls only read.
 */
#include "core/comm.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
/* Bumped by every register and unregister: a thread's cached "this comm is
 * live" answer holds while the generation it saw is current. */
static _Atomic uint64_t generation = 1;
static __thread const struct weft_comm *checked_comm;
static __thread uint64_t checked_generation;
static struct weft_comm **slots;
static size_t nslots, nlive;
#define TOMBSTONE ((struct weft_comm *)1)

static size_t hash(const void *p, size_t n)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x & (n - 1);
}

static int find(const struct weft_comm *comm, size_t *at_p)
{
    if (nslots == 0)
        return 0;
    for (size_t i = hash(comm, nslots), k = 0; k < nslots; i = (i + 1) & (nslots - 1), k++) {
        if (slots[i] == comm) {
            *at_p = i;
            return 1;
        }
        if (slots[i] == NULL)
            return 0;
    }
    return 0;
}

static int rehash(size_t n)
{
    struct weft_comm **old = slots;
    size_t oldn = nslots;
    slots = calloc(n, sizeof(*slots));
    if (slots == NULL) {
        slots = old;
        return -1;
    }
    nslots = n;
    for (size_t i = 0; i < oldn; i++) {
        if (old[i] != NULL && old[i] != TOMBSTONE) {
            size_t j = hash(old[i], n);
            while (slots[j] != NULL)
                j = (j + 1) & (n - 1);
            slots[j] = old[i];
        }
    }
    free(old);
    return 0;
}

weft_status_t weft__comm_register(struct weft_comm *comm)
{
    pthread_rwlock_wrlock(&lock);
    weft_status_t st = WEFT_OK;
    if ((nlive + 1) * 2 > nslots && rehash(nslots ? nslots * 2 : 64) != 0) {
        st = weft__error(WEFT_ERR_NO_MEMORY, "communicator registry");
    } else {
        size_t j = hash(comm, nslots);
        while (slots[j] != NULL && slots[j] != TOMBSTONE)
            j = (j + 1) & (nslots - 1);
        slots[j] = comm;
        nlive++;
        atomic_fetch_add(&generation, 1);
    }
    pthread_rwlock_unlock(&lock);
    return st;
}

void weft__comm_unregister(struct weft_comm *comm)
{
    pthread_rwlock_wrlock(&lock);
    size_t at;
    if (find(comm, &at)) {
        slots[at] = TOMBSTONE;
        nlive--;
    }
    atomic_fetch_add(&generation, 1);
    pthread_rwlock_unlock(&lock);
}

weft_status_t weft__comm_check(struct weft_comm *comm)
{
    if (comm == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "comm is NULL");
    uint64_t gen = atomic_load_explicit(&generation, memory_order_acquire);
    if (comm == checked_comm && gen == checked_generation)
        return WEFT_OK;
    pthread_rwlock_rdlock(&lock);
    size_t at;
    int live = find(comm, &at);
    pthread_rwlock_unlock(&lock);
    if (live) {
        checked_comm = comm;
        checked_generation = gen;
    }
    if (!live)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "comm %p is not a live communicator (destroyed, aborted, or never "
                           "created)", (void *)comm);
    return WEFT_OK;
}

/* For the hang report: while the read lock is held no communicator can
 * be unregistered, hence none freed (weft__comm_end unregisters first). */
void weft__comm_foreach(void (*fn)(struct weft_comm *comm, void *arg), void *arg)
{
    pthread_rwlock_rdlock(&lock);
    for (size_t i = 0; i < nslots; i++) {
        if (slots[i] != NULL && slots[i] != TOMBSTONE)
            fn(slots[i], arg);
    }
    pthread_rwlock_unlock(&lock);
}
