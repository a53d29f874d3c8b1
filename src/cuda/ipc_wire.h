/*
 * ipc_wire.h - the message in which a rank tells the ranks of its node how
 * to map its device buffers (CUDA IPC).
 *
 * The cuda_ipc transport (not built yet) will have each rank export the
 * buffers that peers read in place -- its scratch, a user buffer the
 * schedule reads -- as cudaIpcMemHandle_t (64 opaque bytes naming one
 * allocation), and send them to the other ranks of its node through the
 * bootstrap.  Those bytes come from another process, so they are framed
 * and checked like every weft message before anything in them is used:
 *
 *   header  16 bytes (bootstrap/net.h): magic, wire version, type
 *           WEFT_MSG_CUDA_IPC, body length, 0
 *   body    rank u32, pid u32, generation u64, count u32, 0 u32,
 *           then count entries of 104 bytes:
 *           handle [64], offset u64, size u64, device u32, 0 u32, uuid [16]
 *
 * little-endian, laid out byte by byte.  The receiver checks the header
 * (magic, version, type, length bounded by the largest message) before
 * the body, then that the length is exactly what count needs, every
 * reserved field is 0, count is 1..WEFT_CUDA_IPC_MAX_HANDLES, rank <
 * nranks, generation > 0, and each entry's size > 0, offset + size does
 * not wrap and device < WEFT_CUDA_IPC_MAX_DEVICE.
 *
 * Why each field: a handle names a whole allocation, so offset and size
 * say which part of it is shared (a caching allocator hands out pieces of
 * big blocks); device and uuid say which GPU holds it -- the index in the
 * owner's numbering, which CUDA_VISIBLE_DEVICES may make differ from the
 * reader's, and the UUID that is the same everywhere; pid, because
 * cudaIpcOpenMemHandle refuses a process's own handles, so ranks that are
 * threads of one process use the pointer directly; generation, bumped by
 * the owner every time it re-exports, so that a reader still holding an
 * older mapping knows to close it and open the new one.
 */
#ifndef WEFT_CUDA_IPC_WIRE_H
#define WEFT_CUDA_IPC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#define WEFT_CUDA_IPC_HANDLE_BYTES 64 /* sizeof(cudaIpcMemHandle_t) */
#define WEFT_CUDA_UUID_BYTES 16       /* sizeof(cudaUUID_t) */
#define WEFT_CUDA_IPC_MAX_HANDLES 32  /* entries in one message */
#define WEFT_CUDA_IPC_MAX_DEVICE 1024 /* device indices are below this */
#define WEFT_CUDA_IPC_FIXED_BYTES 24  /* body before the entries */
#define WEFT_CUDA_IPC_ENTRY_BYTES 104
/* The largest body: what a receiver allows the header to announce. */
#define WEFT_CUDA_IPC_MAX_BODY_BYTES                                                               \
    (WEFT_CUDA_IPC_FIXED_BYTES + WEFT_CUDA_IPC_MAX_HANDLES * WEFT_CUDA_IPC_ENTRY_BYTES)

typedef struct {
    uint8_t handle[WEFT_CUDA_IPC_HANDLE_BYTES]; /* cudaIpcMemHandle_t, opaque */
    uint64_t offset; /* bytes from the allocation's start to the shared region */
    uint64_t size;   /* bytes of the shared region */
    uint32_t device; /* the owner's device index */
    uint8_t uuid[WEFT_CUDA_UUID_BYTES];
} weft__cuda_ipc_entry_t;

typedef struct {
    uint32_t rank;       /* the owner */
    uint32_t pid;        /* the owner's process */
    uint64_t generation; /* > 0; grows each time the owner re-exports */
    uint32_t count;      /* entries used, 1..WEFT_CUDA_IPC_MAX_HANDLES */
    weft__cuda_ipc_entry_t entries[WEFT_CUDA_IPC_MAX_HANDLES];
} weft__cuda_ipc_msg_t;

/* Header plus body of a message of count entries. */
size_t weft__cuda_ipc_msg_bytes(uint32_t count);

/* Encodes msg (header included) into out, which has room for out_len
 * bytes; *len_p gets the bytes written.  WEFT_ERR_INTERNAL (reason in why)
 * for a message that its receiver would refuse or that does not fit:
 * weft never sends what it would not accept. */
weft_status_t weft__cuda_ipc_pack(const weft__cuda_ipc_msg_t *msg, uint8_t *out, size_t out_len,
                                  size_t *len_p, char *why, size_t why_len);

/* Decodes and checks in[0..len) from a peer of a communicator of nranks
 * ranks (0: the owner rank is not checked).  Does not log: on failure why says what was wrong and
 * the status is WEFT_ERR_REMOTE (garbage, truncation, a bad field) or WEFT_ERR_INVALID_USAGE
 * (another wire version).  *msg_p is written only on success. */
weft_status_t weft__cuda_ipc_unpack(const uint8_t *in, size_t len, uint32_t nranks,
                                    weft__cuda_ipc_msg_t *msg_p, char *why, size_t why_len);

#endif
