/*
 * direct_record.c - the record in which a rank tells its peers where its
 * shared GPU buffer is (direct.h): an ipc_wire message of one entry,
 * checked like everything a peer sends, and the owner's own pointer,
 * which only a peer of the same process may use -- told by a random
 * number per process, since two processes in separate PID namespaces can
 * have the same pid.
 */
#include "core/direct.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Random, once per process. */
static pthread_once_t token_once = PTHREAD_ONCE_INIT;
static uint64_t token;

static void make_token(void)
{
    if (getrandom(&token, sizeof(token), 0) != (ssize_t)sizeof(token))
        token = weft__now_ns() ^ ((uint64_t)getpid() << 32);
    token |= 1; /* never 0, which an empty record holds */
}

static uint64_t process_token(void)
{
    pthread_once(&token_once, make_token);
    return token;
}

void weft__direct_record_make(int rank, const weft__cuda_ipc_entry_t *entry, const void *ptr,
                              weft_direct_record_t *rec)
{
    memset(rec, 0, sizeof(*rec));
    if (entry == NULL)
        return;
    weft__cuda_ipc_msg_t msg;
    memset(&msg, 0, sizeof(msg));
    msg.rank = (uint32_t)rank;
    msg.pid = (uint32_t)getpid();
    msg.generation = 1;
    msg.count = 1;
    msg.entries[0] = *entry;
    size_t len = 0;
    char why[128];
    if (weft__cuda_ipc_pack(&msg, rec->wire, sizeof(rec->wire), &len, why, sizeof(why)) !=
        WEFT_OK) {
        WEFT_WARN("the direct path: this rank's buffer cannot be described: %s", why);
        return;
    }
    rec->ptr = (uint64_t)(uintptr_t)ptr;
    rec->process = process_token();
    rec->len = (uint32_t)len;
    rec->ok = 1;
}

weft_status_t weft__direct_record_read(const weft_direct_record_t *rec, int owner, int nranks,
                                       weft__cuda_ipc_entry_t *entry_p, uint64_t *ptr_p,
                                       char *why, size_t why_len)
{
    if (rec->ok != 1) {
        snprintf(why, why_len, "rank %d has no shared buffer", owner);
        return WEFT_ERR_UNSUPPORTED;
    }
    weft__cuda_ipc_msg_t msg;
    size_t len = rec->len <= sizeof(rec->wire) ? rec->len : sizeof(rec->wire);
    weft_status_t st = weft__cuda_ipc_unpack(rec->wire, len, (uint32_t)nranks, &msg, why, why_len);
    if (st != WEFT_OK)
        return st;
    if (msg.count != 1 || msg.rank != (uint32_t)owner) {
        snprintf(why, why_len, "rank %d sent %u buffers as rank %u", owner, msg.count, msg.rank);
        return WEFT_ERR_REMOTE;
    }
    *entry_p = msg.entries[0];
    *ptr_p = rec->process == process_token() ? rec->ptr : 0;
    return WEFT_OK;
}
