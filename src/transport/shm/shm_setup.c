/*
 * shm_setup.c - creating, exchanging and mapping the shared-memory
 * segments (layout in shm.h).
 *
 * Setup is collective: every rank publishes a blob through the bootstrap
 * allgather, even one with no local peer, so that the exchange matches.
 * Segments are created sparse (ftruncate): only the channels of local
 * peers are ever touched, so the memory used is proportional to them.
 */
#define _GNU_SOURCE
#include "transport/shm/shm.h"
#include "bootstrap/net.h"
#include "util/config.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static uint64_t token_value;
static pthread_once_t token_once = PTHREAD_ONCE_INIT;

static void token_init(void)
{
    if (weft__random_bytes(&token_value, sizeof(token_value)) != WEFT_OK)
        token_value = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&token_value;
}

/* Random per process: two ranks with equal tokens share an address space. */
static uint64_t process_token(void)
{
    pthread_once(&token_once, token_init);
    return token_value;
}

static size_t chan_bytes(const shm_t *t)
{
    size_t b = sizeof(shm_chan_t) + t->nslots * shm_slot_stride(t);
    return WEFT_ALIGN_UP(b, 4096);
}

static shm_chan_t *chan_at(void *seg, size_t chan_sz, int index)
{
    return (shm_chan_t *)((char *)seg + 4096 + (size_t)index * chan_sz);
}

static weft_status_t create_segment(shm_t *t, shm_blob_t *mine)
{
    static _Atomic uint32_t counter;
    size_t chan_sz = chan_bytes(t);
    t->seg_bytes = 4096 + chan_sz * (size_t)t->nranks;
    snprintf(mine->name, sizeof(mine->name), "/weft-%d-%u-%08x", (int)getpid(),
             (unsigned)atomic_fetch_add(&counter, 1), (unsigned)(process_token() & 0xffffffff));
    int fd = shm_open(mine->name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
        return weft__error(WEFT_ERR_SYSTEM, "shm_open(%s): %s", mine->name, strerror(errno));
    if (ftruncate(fd, (off_t)t->seg_bytes) != 0) {
        int err = errno;
        close(fd);
        shm_unlink(mine->name);
        return weft__error(WEFT_ERR_SYSTEM, "ftruncate of shm segment %s to %zu bytes: %s",
                           mine->name, t->seg_bytes, strerror(err));
    }
    t->seg = mmap(NULL, t->seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (t->seg == MAP_FAILED) {
        t->seg = NULL;
        shm_unlink(mine->name);
        return weft__error(WEFT_ERR_SYSTEM, "mmap of shm segment (%zu bytes): %s", t->seg_bytes,
                           strerror(errno));
    }
    shm_seg_hdr_t *h = t->seg;
    h->magic = WEFT_SHM_MAGIC;
    atomic_store(&h->failed, 0);
    h->owner_token = process_token();
    h->owner_rank = t->rank;
    h->nranks = t->nranks;
    h->nslots = t->nslots;
    h->slot_bytes = t->slot_bytes;
    h->chan_bytes = chan_sz;
    mine->has_seg = 1;
    mine->seg_addr = (uint64_t)(uintptr_t)t->seg;
    mine->seg_bytes = t->seg_bytes;
    return WEFT_OK;
}

/* Can we read the peer's memory with process_vm_readv?  Containers often
 * forbid it (seccomp, ptrace scope); then large messages go through slots. */
static int probe_single_copy(pid_t pid, uint64_t remote_addr)
{
    uint64_t magic = 0;
    struct iovec local = {&magic, sizeof(magic)};
    struct iovec remote = {(void *)(uintptr_t)remote_addr, sizeof(magic)};
    ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return got == (ssize_t)sizeof(magic) && magic == WEFT_SHM_MAGIC;
}

static weft_status_t map_peer(shm_t *t, int p, const shm_blob_t *b)
{
    shm_peer_t *pe = &t->peers[p];
    if (!b->has_seg || b->nslots != t->nslots || b->slot_bytes != t->slot_bytes)
        return weft__error(WEFT_ERR_INVALID_USAGE, "rank %d and local peer %d disagree on the "
                           "shared-memory setup (WEFT_SHM_* must match on all ranks)",
                           t->rank, p);
    int fd = shm_open(b->name, O_RDWR, 0600);
    if (fd < 0)
        return weft__error(WEFT_ERR_SYSTEM, "shm_open of peer %d's segment %s: %s", p, b->name,
                           strerror(errno));
    pe->peer_seg = mmap(NULL, b->seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (pe->peer_seg == MAP_FAILED) {
        pe->peer_seg = NULL;
        return weft__error(WEFT_ERR_SYSTEM, "mmap of peer %d's segment: %s", p, strerror(errno));
    }
    pe->peer_seg_bytes = b->seg_bytes;
    size_t chan_sz = chan_bytes(t);
    pe->out = chan_at(pe->peer_seg, chan_sz, t->rank);
    pe->in = chan_at(t->seg, chan_sz, p);
    pe->pid = b->pid;
    /* A forked child inherits the token: the pid tells it apart. */
    pe->same_process = b->token == process_token() && b->pid == getpid();
    /* Within a process single copy is a plain pointer and always wins.
     * Across processes process_vm_readv pins every 4 KiB page it reads and,
     * measured here, halves the bandwidth of the slot FIFO: opt-in only. */
    int allow = (int)weft__config_int(WEFT_CFG_SHM_SINGLE_COPY);
    pe->single_copy = pe->same_process ? allow >= 1
                                       : allow >= 2 && probe_single_copy(b->pid, b->seg_addr);
    if (allow >= 2 && !pe->single_copy)
        WEFT_INFO("shm: process_vm_readv on peer %d (pid %d) is not permitted here; large "
                  "messages to it go through the FIFO", p, (int)b->pid);
    return WEFT_OK;
}

weft_status_t weft__shm_setup(shm_t *t, const weft_tctx_t *ctx)
{
    weft_status_t st = WEFT_OK;
    shm_blob_t mine = {.token = process_token(), .pid = getpid(), .nslots = t->nslots,
                       .slot_bytes = t->slot_bytes};
    shm_blob_t *all = calloc((size_t)ctx->nranks, sizeof(*all));
    if (all == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shm setup for %d ranks", ctx->nranks);
    if (t->nserved > 0)
        st = create_segment(t, &mine);
    /* Everyone takes part in the exchange, even after a local failure, so
     * that the others are not left waiting; the failure is reported after. */
    weft_status_t xs = weft__bootstrap_allgather(ctx->bs, &mine, all, sizeof(mine),
                                                 ctx->deadline_ns);
    if (st == WEFT_OK)
        st = xs;
    for (int i = 0; i < t->nserved && st == WEFT_OK; i++)
        st = map_peer(t, t->served[i], &all[t->served[i]]);
    /* Once every peer has mapped our segment, its name can go. */
    weft_status_t bs = weft__bootstrap_barrier(ctx->bs, ctx->deadline_ns);
    if (mine.has_seg)
        shm_unlink(mine.name);
    if (st == WEFT_OK)
        st = bs;
    free(all);
    return st;
}

void weft__shm_teardown(shm_t *t)
{
    for (int i = 0; i < t->nserved; i++) {
        shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->peer_seg != NULL)
            munmap(pe->peer_seg, pe->peer_seg_bytes);
        pe->peer_seg = NULL;
    }
    if (t->seg != NULL)
        munmap(t->seg, t->seg_bytes);
    t->seg = NULL;
}
