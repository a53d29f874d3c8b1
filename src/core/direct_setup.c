/*
 * direct_setup.c - the shared GPU buffers of the direct path (direct.h):
 * who wants them, the exchange at init, and their end.
 *
 * Two bootstrap exchanges, both made by every rank or by none (the
 * decision to make them comes from the peer exchange, the same table on
 * every rank): the first carries each rank's buffer, framed and checked
 * like every message from a peer (cuda/ipc_wire.h); the second, whether
 * each rank could open every other's.  The path is on only where all
 * could, so every rank takes the same path for every call.
 */
#include "core/comm.h"
#include "core/direct.h"
#include "cuda/ipc_mem.h"
#include "cuda/reduce_plan.h"
#include "util/config.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int weft__direct_wanted(int device)
{
    return device >= 0 && weft__config_int(WEFT_CFG_CUDA_IPC) != 0;
}

int weft__direct_possible(int nranks, int nnodes)
{
    return nnodes == 1 && nranks >= 2 && nranks <= WEFT_CUDA_REDUCE_MAX_SRCS;
}

void weft__direct_free(struct weft_comm *comm)
{
    weft_direct_t *d = comm->direct;
    if (d == NULL)
        return;
    comm->direct = NULL;
    for (int r = 0; d->peer != NULL && r < comm->nranks; r++) {
        if (d->opened[r])
            weft__cuda_ipc_close(comm->device, d->peer[r]);
    }
    weft__cuda_ipc_free(comm->device, d->mine);
    free(d->peer);
    free(d->opened);
    free(d);
}

/* WEFT_CUDA_IPC_BYTES, at least 64 KiB and a multiple of 256 (so that
 * rounds start aligned for any element).  Ranks must agree on it: the
 * number of rounds of a call depends on it. */
static size_t shared_bytes(void)
{
    int64_t v = weft__config_int(WEFT_CFG_CUDA_IPC_BYTES);
    size_t bytes = v > (64 << 10) ? (size_t)v : (size_t)64 << 10;
    return bytes / 256 * 256;
}

/* The host side only: the GPU memory and the mappings stay. */
static void forget(struct weft_comm *comm, const char *why)
{
    weft_direct_t *d = comm->direct;
    WEFT_INFO("the direct path: %zu bytes of GPU memory and the peers' mappings kept, not "
              "freed: %s", d->bytes, why);
    memset(d->opened, 0, (size_t)comm->nranks);
    d->mine = NULL;
    weft__direct_free(comm);
}

void weft__direct_end(struct weft_comm *comm, int abort)
{
    weft_direct_t *d = comm->direct;
    if (d == NULL)
        return;
    /* Abort must not wait: freeing and unmapping may wait for the whole
     * GPU, where other ranks' waits run until their barriers fail. */
    if (abort) {
        forget(comm, "the communicator was aborted");
        return;
    }
    for (int r = 0; r < comm->nranks; r++) {
        if (d->opened[r])
            weft__cuda_ipc_close(comm->device, d->peer[r]);
        d->opened[r] = 0;
    }
    if (weft__bootstrap_barrier(comm->bs, weft__deadline_after(WEFT_DIRECT_END_WAIT_S)) !=
        WEFT_OK) {
        forget(comm, "a peer did not confirm that it stopped using this rank's buffer");
        return;
    }
    weft__direct_free(comm);
}

/* Opens every peer's buffer from the records; 1 if all of them opened. */
static int open_peers(struct weft_comm *comm, weft_direct_t *d, const weft_direct_record_t *all)
{
    for (int r = 0; r < comm->nranks; r++) {
        weft__cuda_ipc_entry_t entry;
        uint64_t ptr = 0;
        char why[256];
        if (r == comm->rank) {
            d->peer[r] = d->mine;
            continue;
        }
        weft_status_t st =
            weft__direct_record_read(&all[r], r, comm->nranks, &entry, &ptr, why, sizeof(why));
        if (st == WEFT_OK && entry.size != d->bytes) {
            snprintf(why, sizeof(why), "rank %d shares %llu bytes, not %zu (WEFT_CUDA_IPC_BYTES "
                     "differs)", r, (unsigned long long)entry.size, d->bytes);
            st = WEFT_ERR_INVALID_USAGE;
        }
        int opened = 0;
        if (st == WEFT_OK) {
            st = weft__cuda_ipc_open(comm->device, &entry, ptr != 0, (void *)(uintptr_t)ptr,
                                     &d->peer[r], &opened);
            if (st != WEFT_OK)
                snprintf(why, sizeof(why), "%s", weft_last_error());
        }
        d->opened[r] = (uint8_t)opened;
        if (st != WEFT_OK) {
            WEFT_INFO("the direct path stays off: rank %d's buffer: %s", r, why);
            return 0;
        }
    }
    return 1;
}

/* Allocates this rank's buffer and builds its record (empty on failure). */
static void share_mine(struct weft_comm *comm, weft_direct_t *d, weft_direct_record_t *rec)
{
    weft__cuda_ipc_entry_t entry;
    if (weft__cuda_ipc_alloc(comm->device, d->bytes, &d->mine, &entry) != WEFT_OK) {
        WEFT_INFO("the direct path stays off: %s", weft_last_error());
        weft__direct_record_make(comm->rank, NULL, NULL, rec);
        return;
    }
    weft__direct_record_make(comm->rank, &entry, d->mine, rec);
}

weft_status_t weft__direct_setup(struct weft_comm *comm, uint64_t deadline)
{
    int n = comm->nranks;
    if (!comm->direct_possible)
        return WEFT_OK;
    weft_direct_t *d = calloc(1, sizeof(*d));
    weft_direct_record_t mine, *all = calloc((size_t)n, sizeof(*all));
    /* The second exchange: whether each rank opened every buffer, and
     * its one-shot limit -- ranks that split the same call differently
     * would run different barriers and drift apart silently. */
    uint64_t ok[2] = {0, 0}, *oks = calloc((size_t)n, sizeof(ok));
    if (d != NULL) {
        d->peer = calloc((size_t)n, sizeof(*d->peer));
        d->opened = calloc((size_t)n, 1);
    }
    comm->direct = d;
    if (d == NULL || d->peer == NULL || d->opened == NULL || all == NULL || oks == NULL) {
        free(all);
        free(oks);
        weft__direct_free(comm);
        return weft__error(WEFT_ERR_NO_MEMORY, "the direct path's tables for %d ranks", n);
    }
    d->bytes = shared_bytes();
    d->oneshot_max = (uint64_t)weft__config_int(WEFT_CFG_CUDA_IPC_ONESHOT_MAX_BYTES);
    share_mine(comm, d, &mine);
    /* Every rank makes both exchanges, whatever failed before them. */
    weft_status_t st = weft__bootstrap_allgather(comm->bs, &mine, all, sizeof(mine), deadline);
    if (st == WEFT_OK && mine.ok)
        ok[0] = (uint64_t)open_peers(comm, d, all);
    ok[1] = d->oneshot_max;
    if (st == WEFT_OK)
        st = weft__bootstrap_allgather(comm->bs, ok, oks, sizeof(ok), deadline);
    int every = st == WEFT_OK;
    for (int r = 0; every && r < n; r++) {
        every = oks[2 * r] == 1;
        if (every && oks[2 * r + 1] != d->oneshot_max) {
            WEFT_INFO("the direct path stays off: rank %d's WEFT_CUDA_IPC_ONESHOT_MAX_BYTES is "
                      "%llu, this rank's %llu", r, (unsigned long long)oks[2 * r + 1],
                      (unsigned long long)d->oneshot_max);
            every = 0;
        }
    }
    free(all);
    free(oks);
    if (!every) {
        weft__direct_free(comm);
        return st;
    }
    WEFT_INFO("the direct path is on: %d ranks share %zu bytes of GPU memory each", n, d->bytes);
    return WEFT_OK;
}
