/*
 * ipc_mem.h - device memory that the ranks of a node share through CUDA
 * IPC, for the direct path of device all-reduce (core/direct.h; its
 * rounds on a stream are cuda/direct_round.h).
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

#endif
