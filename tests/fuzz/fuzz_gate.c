/*
 * fuzz_gate.c - the gate's verdicts on a would-be hello (gate_check.c):
 * the input is a header and a hello body, as a connection to the root or
 * to rank 0 would send them.
 *
 * Invariants: a header is admitted only if it is a whole, current-version
 * hello header; a hello is admitted only with the right secret, a rank
 * below its nranks, an nranks in range (and equal to the one known), never
 * the gate's own rank, and -- at the root -- a valid listen address.
 */
#include "bootstrap/proto.h"
#include "fuzz_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 + WEFT_WIRE_HDR_BYTES)
        return 0;
    int root = data[0] & 1;
    int known = data[1] % 4 == 0 ? 0 : data[1] % 4 + 1; /* 0: the first hello sets it */
    data += 2;
    size -= 2;
    uint16_t type = root ? WEFT_MSG_ROOT_HELLO : WEFT_MSG_HUB_HELLO;
    char why[256] = "";
    weft__gate_verdict_t v = weft__gate_check_hdr(type, data, why, sizeof(why));
    if (v == WEFT_GATE_ADMIT) {
        FUZZ_CHECK(weft__get_le32(data) == WEFT_WIRE_MAGIC &&
                   weft__get_le16(data + 4) == WEFT_WIRE_VERSION &&
                   weft__get_le16(data + 6) == type &&
                   weft__get_le32(data + 8) == WEFT_HELLO_BYTES);
    } else {
        FUZZ_CHECK(strlen(why) > 0);
    }
    if (size < WEFT_WIRE_HDR_BYTES + WEFT_HELLO_BYTES)
        return 0;
    weft__gate_cfg_t cfg = {.hello_type = type,
                            .secret = fuzz_secret,
                            .nranks = known,
                            .self_rank = root ? -1 : 0,
                            .who = "fuzz"};
    weft__hello_t h;
    memset(&h, 0xEE, sizeof(h));
    why[0] = '\0';
    v = weft__gate_check_hello(&cfg, known, data + WEFT_WIRE_HDR_BYTES, &h, why, sizeof(why));
    if (v != WEFT_GATE_ADMIT) {
        FUZZ_CHECK(strlen(why) > 0);
        return 0;
    }
    FUZZ_CHECK(memcmp(h.secret, fuzz_secret, sizeof(fuzz_secret)) == 0);
    FUZZ_CHECK(h.nranks >= 1 && h.nranks <= WEFT_BOOTSTRAP_MAX_RANKS && h.rank < h.nranks);
    FUZZ_CHECK(known == 0 || h.nranks == (uint32_t)known);
    FUZZ_CHECK((int)h.rank != cfg.self_rank);
    struct sockaddr_storage addr;
    if (root)
        FUZZ_CHECK(weft__net_addr_unpack(h.addr, h.nranks == 1, &addr) == WEFT_OK);
    return 0;
}
