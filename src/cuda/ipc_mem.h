/*
 * ipc_mem.h - device memory that the ranks of a node share through CUDA
 * IPC, and the stream pieces of a round of the direct (one-shot) path
 * (core/proxy_direct.c).
 *
 * A rank allocates one buffer on its GPU and exports it: the handle, with
 * the GPU's UUID, goes to its peers in the framed message of ipc_wire.h.
 * A peer in another process opens the handle (cudaIpcOpenMemHandle, peer
 * access enabled lazily); a peer in the same process cannot open its own
 * process's handles and uses the owner's pointer, which the exchange
 * carries too.  A peer on another GPU is usable only where
 * cudaDeviceCanAccessPeer says so; weft__cuda_ipc_open() says which.
 *
 * Without CUDA every function returns WEFT_ERR_UNSUPPORTED (nothing
 * reaches them: the direct path is never enabled then).
 */
#ifndef WEFT_CUDA_IPC_MEM_H
#define WEFT_CUDA_IPC_MEM_H

#include "cuda/ipc_wire.h"

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

/* bytes of device memory on `device`, exported: *dev_p and its entry
 * (handle, offset 0, size, device index, UUID). */
weft_status_t weft__cuda_ipc_alloc(int device, size_t bytes, void **dev_p,
                                   weft__cuda_ipc_entry_t *entry_p);
void weft__cuda_ipc_free(int device, void *dev);

/* A peer's exported buffer, as this rank's GPU addresses it.  owner_ptr
 * is the owner's own pointer, used when the owner is this process
 * (same_process); otherwise the handle is opened and *opened_p set, so
 * that weft__cuda_ipc_close() undoes it.  WEFT_ERR_UNSUPPORTED (why in
 * the error) if this GPU cannot reach the peer's. */
weft_status_t weft__cuda_ipc_open(int device, const weft__cuda_ipc_entry_t *entry,
                                  int same_process, void *owner_ptr, void **ptr_p,
                                  int *opened_p);
void weft__cuda_ipc_close(int device, void *ptr);

/* One round of the direct all-reduce on a stream, in order:
 *   ready_a          a host function: the stream reached the round
 *   wait flag_a      the proxy's first barrier: every rank's earlier
 *                    rounds are done reading, so the shared buffers are
 *                    free
 *   copy             `in` (bytes) into this rank's shared buffer
 *   ready_b          the input is in place
 *   wait flag_b      the second barrier: every rank's input is in place
 *   reduce           out = srcs[0] op ... op srcs[n-1] (the shared
 *                    buffers, in rank order), then / divisor if > 1
 *   passed           a host function: the stream is past the round
 * Host functions must not block or call CUDA (stream.h). */
typedef struct {
    void (*ready_a)(void *arg), (*ready_b)(void *arg), (*passed)(void *arg);
    void *arg;
    const void *flag_a_dev, *flag_b_dev; /* mapped words, set by the proxy */
    void *gave_up_a_dev, *gave_up_b_dev; /* set by a wait at its deadline */
    const void *heartbeat_dev;
    uint64_t wait_limit_ns;
    const void *in;
    void *mine; /* this rank's shared buffer */
    size_t bytes;
    void *out;
    const void *const *srcs;
    int nsrcs;
    size_t count;
    weft_datatype_t dt;
    weft_op_t op; /* AVG is reduced as SUM and divided */
    uint32_t divisor;
} weft__cuda_direct_round_t;

/* Queues the round on stream.  On failure part of it may be queued. */
weft_status_t weft__cuda_direct_round(int device, void *stream, const weft__cuda_direct_round_t *r);

#endif
