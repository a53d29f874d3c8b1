/*
 * fuzz_wire.c - the bootstrap's wire: the 16-byte header check, the
 * collectives' receive path (coll.c) and the hello reply reader (hello.c),
 * each reading the input from a socket as they would from a peer.
 *
 * The first input byte picks the path; the rest is what "the peer" sent,
 * followed by end-of-file.  A rank of a 2-rank bootstrap runs a real
 * allgather, broadcast or barrier over it (as rank 1 reading from the hub,
 * or as the hub reading from rank 1): whatever arrives, the call returns a
 * status and never writes past the caller's buffer (guard bytes behind it
 * must survive).
 */
#include "bootstrap/proto.h"
#include "fuzz_util.h"
#include "util/time.h"

#include <string.h>

static void fuzz_header(const uint8_t *data, size_t size)
{
    if (size < WEFT_WIRE_HDR_BYTES + 4)
        return;
    weft__wire_hdr_t hdr;
    weft__wire_hdr_unpack(data, &hdr);
    uint16_t expect = (uint16_t)(data[16] % (WEFT_MSG_TYPE_MAX + 2));
    uint32_t max = weft__get_le16(data + 17);
    char why[200];
    weft_status_t st = weft__wire_hdr_check(&hdr, expect, max, why, sizeof(why));
    if (st == WEFT_OK)
        FUZZ_CHECK(hdr.magic == WEFT_WIRE_MAGIC && hdr.version == WEFT_WIRE_VERSION &&
                   hdr.length <= max && (expect == 0 || hdr.type == expect));
    else
        FUZZ_CHECK(strlen(why) > 0);
    uint8_t back[WEFT_WIRE_HDR_BYTES];
    weft__wire_hdr_pack(&hdr, back);
    FUZZ_CHECK(memcmp(back, data, sizeof(back)) == 0);
}

/* One collective of a 2-rank bootstrap, reading the input as its peer. */
static void fuzz_coll(uint8_t how, const uint8_t *data, size_t size)
{
    int sv[2];
    if (fuzz_pair(data, size, sv) != 0)
        return;
    int peer_fds[2] = {-1, sv[0]};
    weft_bootstrap_t bs = {.rank = how & 1 ? 0 : 1, .nranks = 2, .hub_fd = -1};
    if (bs.rank == 0)
        bs.peer_fds = peer_fds;
    else
        bs.hub_fd = sv[0];
    enum { PER_RANK = 8, GUARD = 16 };
    uint8_t mine[PER_RANK] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t all[2 * PER_RANK + GUARD];
    memset(all, 0xA5, sizeof(all));
    uint64_t deadline = weft__deadline_after(2);
    switch ((how >> 1) % 4) {
    case 0:
        weft__bootstrap_allgather(&bs, mine, all, PER_RANK, deadline);
        break;
    case 1:
        weft__bootstrap_bcast(&bs, all, PER_RANK, 0, deadline);
        break;
    case 2:
        weft__bootstrap_bcast(&bs, all, PER_RANK, 1, deadline);
        break;
    default:
        weft__bootstrap_barrier(&bs, deadline);
        break;
    }
    for (size_t i = 2 * PER_RANK; i < sizeof(all); i++)
        FUZZ_CHECK(all[i] == 0xA5);
    fuzz_pair_close(sv);
}

static void fuzz_reply(uint8_t how, const uint8_t *data, size_t size)
{
    int sv[2];
    if (fuzz_pair(data, size, sv) != 0)
        return;
    uint16_t type = how & 1 ? WEFT_MSG_ROOT_TABLE : WEFT_MSG_HUB_WELCOME;
    uint32_t max = how & 1 ? 3 * WEFT_ADDR_PACKED_BYTES : 0;
    void *body = NULL;
    uint32_t len = 0;
    weft_status_t st = weft__hello_read_reply(sv[0], "fuzz peer", type, max, 3,
                                              weft__deadline_after(2), &body, &len);
    if (st == WEFT_OK) {
        FUZZ_CHECK(len <= max && body != NULL);
        free(body);
    }
    fuzz_pair_close(sv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t how = data[0];
    switch (how % 3) {
    case 0:
        fuzz_header(data + 1, size - 1);
        break;
    case 1:
        fuzz_coll((uint8_t)(how / 3), data + 1, size - 1);
        break;
    default:
        fuzz_reply((uint8_t)(how / 3), data + 1, size - 1);
        break;
    }
    return 0;
}
