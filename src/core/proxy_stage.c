/*
 * proxy_stage.c - a communicator's pool of pinned staging buffers.
 *
 * Pinned memory is slow to get (the pages are locked, the driver maps
 * them into every GPU) and cudaFreeHost may wait for the whole device, so
 * buffers are allocated on demand, kept, reused by later calls, and freed
 * only when the communicator ends, after every stream has passed them.
 * A call takes the smallest free buffer that fits; sizes are rounded up
 * to 64 KiB so that neighbouring sizes share buffers.  The list is short
 * (as many buffers as calls in flight at once), so a linear scan will do.
 *
 * Getting may allocate (the caller's thread, never with the lock held);
 * putting back happens in a stream's host function: a flag under a
 * mutex, no CUDA call.
 */
#include "core/comm.h"
#include "core/proxy_device.h"
#include "cuda/stream.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

#define STAGE_ROUND ((size_t)64 << 10)

static void reset_header(weft_stage_t *st)
{
    weft_stage_header_t *h = (weft_stage_header_t *)st->host;
    h->flag = WEFT_PROXY_PENDING;
    h->gave_up = 0;
}

/* The smallest free buffer of at least bytes, taken (lock held). */
static weft_stage_t *take_free(weft_stream_calls_t *sc, size_t bytes)
{
    weft_stage_t *best = NULL;
    for (weft_stage_t *st = sc->stages; st != NULL; st = st->next) {
        /* A flag word (0 bytes) takes only a buffer of no data, so that it
         * never holds a data buffer another call would need. */
        int fits = bytes == 0 ? st->capacity == 0 : st->capacity >= bytes;
        if (!st->in_use && !st->poisoned && fits &&
            (best == NULL || st->capacity < best->capacity))
            best = st;
    }
    if (best != NULL)
        best->in_use = 1;
    return best;
}

weft_status_t weft__stage_get(weft_stream_calls_t *sc, size_t bytes, weft_stage_t **stage_p)
{
    pthread_mutex_lock(&sc->pool_lock);
    weft_stage_t *st = take_free(sc, bytes);
    pthread_mutex_unlock(&sc->pool_lock);
    if (st == NULL) {
        size_t capacity = (bytes + STAGE_ROUND - 1) / STAGE_ROUND * STAGE_ROUND;
        st = calloc(1, sizeof(*st));
        if (st == NULL)
            return weft__error(WEFT_ERR_NO_MEMORY, "a staging buffer of %zu bytes", bytes);
        void *host = NULL, *dev = NULL;
        weft_status_t s =
            weft__cuda_host_alloc(sc->comm->device, WEFT_STAGE_DATA_OFFSET + capacity, &host, &dev);
        if (s != WEFT_OK) {
            free(st);
            return s;
        }
        st->host = host;
        st->dev = dev;
        st->capacity = capacity;
        st->in_use = 1;
        pthread_mutex_lock(&sc->pool_lock);
        st->next = sc->stages;
        sc->stages = st;
        pthread_mutex_unlock(&sc->pool_lock);
    }
    /* Free buffers are past every stream that used them: nobody reads
     * the header now. */
    reset_header(st);
    *stage_p = st;
    return WEFT_OK;
}

void weft__stage_put(weft_stream_calls_t *sc, weft_stage_t *stage)
{
    pthread_mutex_lock(&sc->pool_lock);
    stage->in_use = 0;
    pthread_mutex_unlock(&sc->pool_lock);
}

void weft__stage_free_all(weft_stream_calls_t *sc)
{
    weft_stage_t *st = sc->stages;
    sc->stages = NULL;
    while (st != NULL) {
        weft_stage_t *next = st->next;
        weft__cuda_host_free(st->host);
        free(st);
        st = next;
    }
}
