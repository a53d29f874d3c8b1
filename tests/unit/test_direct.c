/*
 * test_direct.c - the host-side logic of the direct path of device
 * all-reduce (src/core/direct.h), without a GPU:
 *  - when it may be set up (one node, 2 to 8 ranks) and which calls take
 *    it (a single all-reduce on device buffers of a communicator that has
 *    it; not a group of several, not another collective, not host buffers);
 *  - the setup record round trip: the entry bit for bit, the owner's
 *    pointer only for a peer of the same process (its random token, not
 *    its pid);
 *  - records refused: an empty one (the owner has no buffer), another
 *    owner rank than the sender, a corrupted header, a truncated or
 *    over-long length.
 * The GPU side (the buffers, the rounds on a stream) is exercised by the
 * gpu tests with WEFT_CUDA_IPC=1.
 */
#include "core/comm.h"
#include "core/direct.h"
#include "test_check.h"

#include <string.h>

static void test_possible(void)
{
    CHECK(!weft__direct_possible(1, 1), "1 rank: nothing to share");
    CHECK(weft__direct_possible(2, 1), "2 ranks on one node");
    CHECK(weft__direct_possible(8, 1), "8 ranks on one node (one kernel pass)");
    CHECK(!weft__direct_possible(9, 1), "9 ranks: more inputs than one pass reduces");
    CHECK(!weft__direct_possible(4, 2), "2 nodes");
}

static void test_takes(void)
{
    struct weft_comm comm;
    weft_direct_t d;
    memset(&comm, 0, sizeof(comm));
    memset(&d, 0, sizeof(d));
    weft_op_desc_t ops[2];
    memset(ops, 0, sizeof(ops));
    for (int i = 0; i < 2; i++) {
        ops[i].comm = &comm;
        ops[i].on_device = 1;
        ops[i].args.coll = WEFT_COLL_ALLREDUCE;
    }
    CHECK(!weft__direct_takes(ops, 1), "a communicator without the path");
    comm.direct = &d;
    CHECK(weft__direct_takes(ops, 1), "one device all-reduce");
    CHECK(!weft__direct_takes(ops, 2), "a group of two calls");
    ops[0].on_device = 0;
    CHECK(!weft__direct_takes(ops, 1), "host buffers");
    ops[0].on_device = 1;
    ops[0].args.coll = WEFT_COLL_ALLGATHER;
    CHECK(!weft__direct_takes(ops, 1), "an all-gather");
}

static weft__cuda_ipc_entry_t sample_entry(void)
{
    weft__cuda_ipc_entry_t e;
    memset(&e, 0, sizeof(e));
    for (int b = 0; b < WEFT_CUDA_IPC_HANDLE_BYTES; b++)
        e.handle[b] = (uint8_t)(b * 3 + 1);
    for (int b = 0; b < WEFT_CUDA_UUID_BYTES; b++)
        e.uuid[b] = (uint8_t)(0xa0 + b);
    e.size = 32u << 20;
    e.device = 5;
    return e;
}

static void test_record(void)
{
    weft__cuda_ipc_entry_t e = sample_entry(), got;
    int x = 0;
    uint64_t ptr = 0;
    char why[256];
    weft_direct_record_t rec;
    weft__direct_record_make(2, &e, &x, &rec);
    CHECK(rec.ok == 1 && rec.len > 0 && rec.len <= sizeof(rec.wire), "record made: ok %u len %u",
          rec.ok, rec.len);
    weft_status_t st = weft__direct_record_read(&rec, 2, 4, &got, &ptr, why, sizeof(why));
    CHECK(st == WEFT_OK, "a good record refused: %s", why);
    CHECK(st != WEFT_OK || memcmp(&got, &e, sizeof(e)) == 0, "the entry changed on the way");
    CHECK(st != WEFT_OK || ptr == (uint64_t)(uintptr_t)&x,
          "a peer in the owner's process gets the owner's pointer");
    weft_direct_record_t other = rec;
    other.process ^= 2; /* another process, whatever its pid */
    st = weft__direct_record_read(&other, 2, 4, &got, &ptr, why, sizeof(why));
    CHECK(st == WEFT_OK && ptr == 0, "a peer in another process gets no pointer: %d %llx", st,
          (unsigned long long)ptr);
    st = weft__direct_record_read(&rec, 1, 4, &got, &ptr, why, sizeof(why));
    CHECK(st == WEFT_ERR_REMOTE, "rank 2's record as rank 1's: %d (%s)", st, why);
    st = weft__direct_record_read(&rec, 2, 2, &got, &ptr, why, sizeof(why));
    CHECK(st != WEFT_OK, "owner rank 2 in a communicator of 2 ranks accepted");

    weft_direct_record_t bad = rec;
    bad.wire[0] ^= 0xff;
    CHECK(weft__direct_record_read(&bad, 2, 4, &got, &ptr, why, sizeof(why)) != WEFT_OK,
          "a corrupted header accepted");
    bad = rec;
    bad.len = rec.len - 1;
    CHECK(weft__direct_record_read(&bad, 2, 4, &got, &ptr, why, sizeof(why)) != WEFT_OK,
          "a truncated record accepted");
    bad = rec;
    bad.len = 0xffffffffu;
    CHECK(weft__direct_record_read(&bad, 2, 4, &got, &ptr, why, sizeof(why)) != WEFT_OK,
          "a record longer than its wire accepted");

    weft__direct_record_make(2, NULL, NULL, &rec);
    st = weft__direct_record_read(&rec, 2, 4, &got, &ptr, why, sizeof(why));
    CHECK(st == WEFT_ERR_UNSUPPORTED && strstr(why, "no shared buffer") != NULL,
          "an empty record: %d (%s)", st, why);
}

int main(void)
{
    test_possible();
    test_takes();
    test_record();
    if (failures == 0)
        printf("direct path: all checks passed\n");
    return failures ? 1 : 0;
}
