/*
 * shm_setup.c - creating, exchanging and mapping the shared-memory
 * segments (layout in shm.h).
 *
 * Setup is collective: every rank publishes a blob through the bootstrap
 * allgather, even one with no local peer, so that the exchange matches.
 * A segment is sized for every rank but only the channels of local peers
 * are reserved (fallocate), so its memory is proportional to them.  The
 * reservation happens here, not on first touch: a /dev/shm too small for
 * the rings would otherwise kill the job with SIGBUS in the middle of a
 * collective.  When it is short, the slots shrink (halving down to 16 KiB)
 * before setup gives up with an error that says how much was needed.
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

/* Random per process (a forked child keeps its parent's: compare pids too). */
static uint64_t process_token(void)
{
    pthread_once(&token_once, token_init);
    return token_value;
}

static shm_geom_t make_geom(uint64_t nslots, uint64_t slot_bytes)
{
    shm_geom_t g = {nslots, slot_bytes, 0};
    size_t b = sizeof(shm_chan_t) + nslots * shm_slot_stride(&g);
    g.chan_bytes = WEFT_ALIGN_UP(b, 4096);
    return g;
}

static uint64_t chan_base(int nranks)
{
    return WEFT_ALIGN_UP(sizeof(shm_seg_hdr_t) + (size_t)nranks, 4096);
}

static shm_chan_t *chan_at(void *seg, uint64_t base, uint64_t chan_bytes, int index)
{
    return (shm_chan_t *)((char *)seg + base + (uint64_t)index * chan_bytes);
}

/* Creates the segment with the current geometry; 1 if /dev/shm was short
 * (the caller shrinks and retries), 0 on success, -1 on another error. */
static int try_create(shm_t *t, shm_blob_t *mine, weft_status_t *st_p)
{
    uint64_t base = chan_base(t->nranks);
    t->seg_bytes = base + t->geom.chan_bytes * (uint64_t)t->nranks;
    int fd = shm_open(mine->name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) {
        *st_p = weft__error(WEFT_ERR_SYSTEM, "shm_open(%s): %s", mine->name, strerror(errno));
        return -1;
    }
    int err = ftruncate(fd, (off_t)t->seg_bytes) != 0 ? errno : 0;
    if (err == 0)
        err = posix_fallocate(fd, 0, (off_t)base);
    for (int i = 0; i < t->nserved && err == 0; i++)
        err = posix_fallocate(fd, (off_t)(base + (uint64_t)t->served[i] * t->geom.chan_bytes),
                              (off_t)t->geom.chan_bytes);
    if (err == 0) {
        t->seg = mmap(NULL, t->seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (t->seg == MAP_FAILED) {
            t->seg = NULL;
            err = errno;
        }
    }
    close(fd);
    if (err == 0) {
        weft__shm_map_register(mine->name, t->seg, t->seg_bytes);
        return 0;
    }
    shm_unlink(mine->name);
    if (err == ENOSPC)
        return 1;
    *st_p = weft__error(WEFT_ERR_SYSTEM, "shared-memory segment %s of %zu bytes: %s",
                        mine->name, t->seg_bytes, strerror(err));
    return -1;
}

static weft_status_t create_segment(shm_t *t, shm_blob_t *mine)
{
    static _Atomic uint32_t counter;
    snprintf(mine->name, sizeof(mine->name), "/weft-%d-%u-%08x", (int)getpid(),
             (unsigned)atomic_fetch_add(&counter, 1), (unsigned)(process_token() & 0xffffffff));
    weft_status_t st = WEFT_OK;
    uint64_t wanted = t->geom.slot_bytes;
    int rc;
    while ((rc = try_create(t, mine, &st)) == 1) {
        if (t->geom.slot_bytes / 2 < WEFT_MIN(wanted, WEFT_SHM_MIN_SLOT_BYTES))
            return weft__error(WEFT_ERR_SYSTEM,
                               "/dev/shm has no room for the shared-memory rings of rank %d "
                               "(%d local peers x %llu bytes even with %llu-byte slots): enlarge "
                               "/dev/shm or lower WEFT_SHM_SLOT_BYTES / WEFT_SHM_NSLOTS",
                               t->rank, t->nserved, (unsigned long long)t->geom.chan_bytes,
                               (unsigned long long)t->geom.slot_bytes);
        t->geom = make_geom(t->geom.nslots, t->geom.slot_bytes / 2);
    }
    if (rc < 0)
        return st;
    if (t->geom.slot_bytes != wanted)
        WEFT_WARN("rank %d: /dev/shm is short: shared-memory slots shrunk from %llu to %llu "
                  "bytes", t->rank, (unsigned long long)wanted,
                  (unsigned long long)t->geom.slot_bytes);
    shm_seg_hdr_t *h = t->seg;
    h->magic = WEFT_SHM_MAGIC;
    atomic_store(&h->failed, 0);
    h->owner_token = process_token();
    h->owner_rank = t->rank;
    h->nranks = t->nranks;
    h->geom = t->geom;
    h->chan_base = chan_base(t->nranks);
    mine->has_seg = 1;
    mine->seg_addr = (uint64_t)(uintptr_t)t->seg;
    mine->seg_bytes = t->seg_bytes;
    return WEFT_OK;
}

/* Can we read the peer's memory with process_vm_readv?  Containers often
 * forbid it (seccomp, ptrace scope). */
static int probe_read(pid_t pid, uint64_t remote_addr)
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
    if (!b->has_seg)
        return weft__error(WEFT_ERR_REMOTE, "local peer rank %d has no shared-memory segment "
                           "(its setup failed)", p);
    /* A peer thread of this process: its mapping, shared (shm_maps.c). */
    int here = b->token == process_token() && b->pid == getpid();
    pe->peer_seg = here ? weft__shm_map_share(b->name, b->seg_bytes) : NULL;
    if (pe->peer_seg == NULL) {
        int fd = shm_open(b->name, O_RDWR, 0600);
        if (fd < 0)
            return weft__error(WEFT_ERR_SYSTEM, "shm_open of peer %d's segment %s: %s", p,
                               b->name, strerror(errno));
        pe->peer_seg = mmap(NULL, b->seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (pe->peer_seg == MAP_FAILED) {
            pe->peer_seg = NULL;
            return weft__error(WEFT_ERR_SYSTEM, "mmap of peer %d's segment: %s", p,
                               strerror(errno));
        }
    }
    pe->peer_seg_bytes = b->seg_bytes;
    const shm_seg_hdr_t *ph = pe->peer_seg;
    if (ph->magic != WEFT_SHM_MAGIC || ph->nranks != t->nranks)
        return weft__error(WEFT_ERR_INTERNAL, "peer %d's shared-memory segment is not weft's", p);
    pe->out_geom = ph->geom;
    pe->out = chan_at(pe->peer_seg, ph->chan_base, ph->geom.chan_bytes, t->rank);
    pe->in = chan_at(t->seg, chan_base(t->nranks), t->geom.chan_bytes, p);
    pe->pid = b->pid;
    /* A forked child inherits the token: the pid tells it apart. */
    pe->same_process = here;
    /* Receiving from p by single copy means reading p's memory: say whether
     * we can, in our own header, where p looks before it sends. */
    int allow = (int)weft__config_int(WEFT_CFG_SHM_SINGLE_COPY);
    pe->can_read = pe->same_process || (allow >= 2 && probe_read(b->pid, b->seg_addr));
    ((shm_seg_hdr_t *)t->seg)->can_read[p] = (uint8_t)pe->can_read;
    if (allow >= 2 && !pe->can_read)
        WEFT_INFO("shm: process_vm_readv on peer %d (pid %d) is not permitted here; large "
                  "messages from it go through the FIFO", p, (int)b->pid);
    return WEFT_OK;
}

/* After every peer has written its can_read flags: may we send to p by
 * single copy?  Within a process single copy is a plain pointer and always
 * wins.  Across processes process_vm_readv pins every 4 KiB page it reads
 * and, measured here, halves the bandwidth of the slot FIFO: opt-in only. */
static void decide_single_copy(shm_t *t, int p)
{
    shm_peer_t *pe = &t->peers[p];
    int allow = (int)weft__config_int(WEFT_CFG_SHM_SINGLE_COPY);
    const shm_seg_hdr_t *ph = pe->peer_seg;
    int peer_reads_us = ph->can_read[t->rank] != 0;
    pe->single_copy = pe->same_process ? allow >= 1 : allow >= 2 && peer_reads_us;
}

weft_status_t weft__shm_setup(shm_t *t, const weft_tctx_t *ctx)
{
    weft_status_t st = WEFT_OK;
    shm_blob_t mine = {.token = process_token(), .pid = getpid()};
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
    /* Once every peer has mapped our segment (and written its flags), its
     * name can go. */
    weft_status_t bs = weft__bootstrap_barrier(ctx->bs, ctx->deadline_ns);
    if (mine.has_seg)
        shm_unlink(mine.name);
    if (st == WEFT_OK)
        st = bs;
    for (int i = 0; i < t->nserved && st == WEFT_OK; i++)
        decide_single_copy(t, t->served[i]);
    free(all);
    return st;
}

void weft__shm_teardown(shm_t *t)
{
    for (int i = 0; i < t->nserved; i++) {
        shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->peer_seg != NULL)
            weft__shm_map_release(pe->peer_seg, pe->peer_seg_bytes);
        pe->peer_seg = NULL;
    }
    if (t->seg != NULL)
        weft__shm_map_release(t->seg, t->seg_bytes);
    t->seg = NULL;
}
