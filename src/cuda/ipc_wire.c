/*
 * ipc_wire.c - encoding and checking the CUDA IPC handle message
 * (ipc_wire.h has the layout and the reason for every field).
 *
 * One function states what a valid message is (check_fields); unpack
 * applies it to what a peer sent, pack to what we are about to send, so
 * that the two sides cannot drift apart.  Unpack reads nothing past len
 * and nothing past what the header announced, whatever the bytes say.
 */
#include "cuda/ipc_wire.h"
#include "bootstrap/net.h"

#include <stdio.h>
#include <string.h>

/* Entry layout: handle [64], offset u64, size u64, device u32, 0 u32, uuid [16]. */
#define ENTRY_OFFSET_AT 64
#define ENTRY_SIZE_AT 72
#define ENTRY_DEVICE_AT 80
#define ENTRY_RESERVED_AT 84
#define ENTRY_UUID_AT 88

size_t weft__cuda_ipc_msg_bytes(uint32_t count)
{
    return WEFT_WIRE_HDR_BYTES + WEFT_CUDA_IPC_FIXED_BYTES +
           (size_t)count * WEFT_CUDA_IPC_ENTRY_BYTES;
}

/* The rules on decoded fields; nranks 0 skips the rank check (pack). */
static weft_status_t check_fields(const weft__cuda_ipc_msg_t *msg, uint32_t nranks, char *why,
                                  size_t why_len)
{
    if (msg->count < 1 || msg->count > WEFT_CUDA_IPC_MAX_HANDLES) {
        snprintf(why, why_len, "%u handles (1 to %d allowed)", msg->count,
                 WEFT_CUDA_IPC_MAX_HANDLES);
        return WEFT_ERR_REMOTE;
    }
    if (nranks != 0 && msg->rank >= nranks) {
        snprintf(why, why_len, "owner rank %u in a communicator of %u ranks", msg->rank, nranks);
        return WEFT_ERR_REMOTE;
    }
    if (msg->generation == 0) {
        snprintf(why, why_len, "generation 0 (generations start at 1)");
        return WEFT_ERR_REMOTE;
    }
    for (uint32_t i = 0; i < msg->count; i++) {
        const weft__cuda_ipc_entry_t *e = &msg->entries[i];
        if (e->size == 0 || e->offset > UINT64_MAX - e->size) {
            snprintf(why, why_len, "handle %u: region of %llu bytes at offset %llu", i,
                     (unsigned long long)e->size, (unsigned long long)e->offset);
            return WEFT_ERR_REMOTE;
        }
        if (e->device >= WEFT_CUDA_IPC_MAX_DEVICE) {
            snprintf(why, why_len, "handle %u: device %u (at most %d)", i, e->device,
                     WEFT_CUDA_IPC_MAX_DEVICE - 1);
            return WEFT_ERR_REMOTE;
        }
    }
    return WEFT_OK;
}

weft_status_t weft__cuda_ipc_pack(const weft__cuda_ipc_msg_t *msg, uint8_t *out, size_t out_len,
                                  size_t *len_p, char *why, size_t why_len)
{
    if (check_fields(msg, 0, why, why_len) != WEFT_OK)
        return WEFT_ERR_INTERNAL;
    size_t total = weft__cuda_ipc_msg_bytes(msg->count);
    if (out_len < total) {
        snprintf(why, why_len, "%zu bytes of room for a %zu-byte message", out_len, total);
        return WEFT_ERR_INTERNAL;
    }
    weft__wire_hdr_t hdr = {.magic = WEFT_WIRE_MAGIC,
                            .version = WEFT_WIRE_VERSION,
                            .type = WEFT_MSG_CUDA_IPC,
                            .length = (uint32_t)(total - WEFT_WIRE_HDR_BYTES)};
    weft__wire_hdr_pack(&hdr, out);
    uint8_t *p = out + WEFT_WIRE_HDR_BYTES;
    weft__put_le32(p, msg->rank);
    weft__put_le32(p + 4, msg->pid);
    weft__put_le64(p + 8, msg->generation);
    weft__put_le32(p + 16, msg->count);
    weft__put_le32(p + 20, 0);
    p += WEFT_CUDA_IPC_FIXED_BYTES;
    for (uint32_t i = 0; i < msg->count; i++, p += WEFT_CUDA_IPC_ENTRY_BYTES) {
        const weft__cuda_ipc_entry_t *e = &msg->entries[i];
        memcpy(p, e->handle, WEFT_CUDA_IPC_HANDLE_BYTES);
        weft__put_le64(p + ENTRY_OFFSET_AT, e->offset);
        weft__put_le64(p + ENTRY_SIZE_AT, e->size);
        weft__put_le32(p + ENTRY_DEVICE_AT, e->device);
        weft__put_le32(p + ENTRY_RESERVED_AT, 0);
        memcpy(p + ENTRY_UUID_AT, e->uuid, WEFT_CUDA_UUID_BYTES);
    }
    *len_p = total;
    return WEFT_OK;
}

/* The header and the length it announces, before any body byte is read. */
static weft_status_t check_frame(const uint8_t *in, size_t len, uint32_t *count_p, char *why,
                                 size_t why_len)
{
    if (len < WEFT_WIRE_HDR_BYTES) {
        snprintf(why, why_len, "%zu bytes, shorter than a header", len);
        return WEFT_ERR_REMOTE;
    }
    weft__wire_hdr_t hdr;
    weft__wire_hdr_unpack(in, &hdr);
    weft_status_t st =
        weft__wire_hdr_check(&hdr, WEFT_MSG_CUDA_IPC, WEFT_CUDA_IPC_MAX_BODY_BYTES, why, why_len);
    if (st != WEFT_OK)
        return st;
    if (len - WEFT_WIRE_HDR_BYTES != hdr.length || hdr.length < WEFT_CUDA_IPC_FIXED_BYTES) {
        snprintf(why, why_len, "header announces %u body bytes, %zu arrived", hdr.length,
                 len - WEFT_WIRE_HDR_BYTES);
        return WEFT_ERR_REMOTE;
    }
    const uint8_t *body = in + WEFT_WIRE_HDR_BYTES;
    uint32_t count = weft__get_le32(body + 16);
    if (count < 1 || count > WEFT_CUDA_IPC_MAX_HANDLES ||
        hdr.length != WEFT_CUDA_IPC_FIXED_BYTES + count * WEFT_CUDA_IPC_ENTRY_BYTES) {
        snprintf(why, why_len, "%u handles do not fill a %u-byte body", count, hdr.length);
        return WEFT_ERR_REMOTE;
    }
    if (weft__get_le32(body + 20) != 0) {
        snprintf(why, why_len, "nonzero reserved field");
        return WEFT_ERR_REMOTE;
    }
    *count_p = count;
    return WEFT_OK;
}

weft_status_t weft__cuda_ipc_unpack(const uint8_t *in, size_t len, uint32_t nranks,
                                    weft__cuda_ipc_msg_t *msg_p, char *why, size_t why_len)
{
    uint32_t count;
    weft_status_t st = check_frame(in, len, &count, why, why_len);
    if (st != WEFT_OK)
        return st;
    const uint8_t *p = in + WEFT_WIRE_HDR_BYTES;
    weft__cuda_ipc_msg_t msg;
    memset(&msg, 0, sizeof(msg));
    msg.rank = weft__get_le32(p);
    msg.pid = weft__get_le32(p + 4);
    msg.generation = weft__get_le64(p + 8);
    msg.count = count;
    p += WEFT_CUDA_IPC_FIXED_BYTES;
    for (uint32_t i = 0; i < count; i++, p += WEFT_CUDA_IPC_ENTRY_BYTES) {
        weft__cuda_ipc_entry_t *e = &msg.entries[i];
        if (weft__get_le32(p + ENTRY_RESERVED_AT) != 0) {
            snprintf(why, why_len, "handle %u: nonzero reserved field", i);
            return WEFT_ERR_REMOTE;
        }
        memcpy(e->handle, p, WEFT_CUDA_IPC_HANDLE_BYTES);
        e->offset = weft__get_le64(p + ENTRY_OFFSET_AT);
        e->size = weft__get_le64(p + ENTRY_SIZE_AT);
        e->device = weft__get_le32(p + ENTRY_DEVICE_AT);
        memcpy(e->uuid, p + ENTRY_UUID_AT, WEFT_CUDA_UUID_BYTES);
    }
    st = check_fields(&msg, nranks, why, why_len);
    if (st != WEFT_OK)
        return st;
    *msg_p = msg;
    return WEFT_OK;
}
