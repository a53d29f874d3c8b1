/*
 * shm_maps.c - one mapping of each shared-memory segment per process.
 *
 * Ranks that are threads of one process would otherwise each map a peer's
 * segment again: the same pages at two addresses.  That costs address
 * space and mappings, and it blinds ThreadSanitizer, which tracks
 * synchronisation by address: a release store to a slot through the
 * owner's mapping and the acquire load of it through the peer's mapping
 * look unrelated, so every single-copy read between threads was reported
 * as a race.  So the first mapping of a segment is registered by name and
 * shared, with a reference count: the last rank to let go unmaps it, so
 * that a rank that ends first (destroy, abort) never pulls the pages from
 * under a peer thread still reading its failure flag.
 */
#include "transport/shm/shm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct shm_map shm_map_t;
struct shm_map {
    char name[sizeof(((shm_blob_t *)0)->name)];
    void *addr;
    size_t bytes;
    int refs;
    shm_map_t *next;
};

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static shm_map_t *maps;

void weft__shm_map_register(const char *name, void *addr, size_t bytes)
{
    shm_map_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return; /* unregistered: peers map it again, as before */
    snprintf(m->name, sizeof(m->name), "%s", name);
    m->addr = addr;
    m->bytes = bytes;
    m->refs = 1;
    pthread_mutex_lock(&maps_lock);
    m->next = maps;
    maps = m;
    pthread_mutex_unlock(&maps_lock);
}

void *weft__shm_map_share(const char *name, size_t bytes)
{
    void *addr = NULL;
    pthread_mutex_lock(&maps_lock);
    for (shm_map_t *m = maps; m != NULL; m = m->next) {
        if (strcmp(m->name, name) == 0 && m->bytes == bytes) {
            m->refs++;
            addr = m->addr;
            break;
        }
    }
    pthread_mutex_unlock(&maps_lock);
    return addr;
}

void weft__shm_map_release(void *addr, size_t bytes)
{
    int unmap = 1;
    pthread_mutex_lock(&maps_lock);
    for (shm_map_t **mp = &maps; *mp != NULL; mp = &(*mp)->next) {
        shm_map_t *m = *mp;
        if (m->addr != addr)
            continue;
        unmap = --m->refs == 0;
        if (unmap) {
            *mp = m->next;
            free(m);
        }
        break;
    }
    pthread_mutex_unlock(&maps_lock);
    if (unmap)
        munmap(addr, bytes);
}
