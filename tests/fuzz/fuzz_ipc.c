/*
 * fuzz_ipc.c - decoding the CUDA IPC handle message (src/cuda/ipc_wire.c)
 * that a rank receives from the other ranks of its node.
 *
 * Invariants: what unpack accepts obeys every rule of ipc_wire.h (1 to
 * WEFT_CUDA_IPC_MAX_HANDLES handles, owner rank below nranks, generation
 * above 0, regions that do not wrap, devices in range), and packs back to
 * exactly the input bytes -- one encoding per message, so a flipped bit
 * cannot pass for another valid message.  The first input byte chooses
 * nranks (0 leaves the rank unchecked).
 */
#include "bootstrap/net.h"
#include "cuda/ipc_wire.h"
#include "fuzz_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t nranks = data[0];
    data++;
    size--;
    weft__cuda_ipc_msg_t msg;
    char why[160];
    if (weft__cuda_ipc_unpack(data, size, nranks, &msg, why, sizeof(why)) != WEFT_OK)
        return 0;
    FUZZ_CHECK(msg.count >= 1 && msg.count <= WEFT_CUDA_IPC_MAX_HANDLES);
    FUZZ_CHECK(nranks == 0 || msg.rank < nranks);
    FUZZ_CHECK(msg.generation > 0);
    for (uint32_t i = 0; i < msg.count; i++) {
        FUZZ_CHECK(msg.entries[i].size > 0);
        FUZZ_CHECK(msg.entries[i].offset + msg.entries[i].size > msg.entries[i].offset);
        FUZZ_CHECK(msg.entries[i].device < WEFT_CUDA_IPC_MAX_DEVICE);
    }
    static uint8_t again[WEFT_WIRE_HDR_BYTES + WEFT_CUDA_IPC_MAX_BODY_BYTES];
    size_t len = 0;
    FUZZ_CHECK(weft__cuda_ipc_pack(&msg, again, sizeof(again), &len, why, sizeof(why)) == WEFT_OK);
    FUZZ_CHECK(len == size && memcmp(again, data, size) == 0);
    return 0;
}
