/*
 * test_cuda_ipc_wire.c - the CUDA IPC handle message (src/cuda/ipc_wire.h)
 * without a GPU: the handles are opaque bytes, so any 64 bytes will do.
 *  - round trip of 1, 2 and the maximum number of handles, with extreme
 *    field values, bit for bit;
 *  - every truncation of a valid message, and one byte too many;
 *  - a wrong magic, wire version, type, header length and reserved field;
 *  - each field rule: count 0 and too many, rank >= nranks, generation 0,
 *    size 0, offset + size wrapping, device out of range, nonzero entry
 *    padding;
 *  - random garbage (and garbage behind a valid header) never accepted
 *    unless it re-encodes to itself;
 *  - pack refuses what unpack would, and a buffer too small.
 */
#include "bootstrap/net.h"
#include "cuda/ipc_wire.h"
#include "test_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSG (WEFT_WIRE_HDR_BYTES + WEFT_CUDA_IPC_MAX_BODY_BYTES)
/* Entry 0 starts here; fields by their offsets in ipc_wire.h. */
#define ENTRY0 (WEFT_WIRE_HDR_BYTES + WEFT_CUDA_IPC_FIXED_BYTES)

static void fill(weft__cuda_ipc_msg_t *m, uint32_t count)
{
    memset(m, 0, sizeof(*m));
    m->rank = 3;
    m->pid = 4242;
    m->generation = 0x0102030405060708ull;
    m->count = count;
    for (uint32_t i = 0; i < count; i++) {
        weft__cuda_ipc_entry_t *e = &m->entries[i];
        for (int b = 0; b < WEFT_CUDA_IPC_HANDLE_BYTES; b++)
            e->handle[b] = (uint8_t)(i * 7 + b);
        for (int b = 0; b < WEFT_CUDA_UUID_BYTES; b++)
            e->uuid[b] = (uint8_t)(0xf0 ^ (i + b));
        e->offset = (uint64_t)i << 21;
        e->size = 1000 + i;
        e->device = i % 8;
    }
}

static size_t pack_ok(const weft__cuda_ipc_msg_t *m, uint8_t *buf)
{
    size_t len = 0;
    char why[160] = "";
    if (weft__cuda_ipc_pack(m, buf, MAX_MSG, &len, why, sizeof(why)) != WEFT_OK)
        FAIL("pack of a valid message: %s", why);
    return len;
}

static void test_round_trip(void)
{
    static const uint32_t counts[] = {1, 2, WEFT_CUDA_IPC_MAX_HANDLES};
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        weft__cuda_ipc_msg_t in, out;
        fill(&in, counts[c]);
        in.entries[0].offset = UINT64_MAX - 1; /* offset + size at the very top */
        in.entries[0].size = 1;
        in.entries[counts[c] - 1].device = WEFT_CUDA_IPC_MAX_DEVICE - 1;
        in.pid = UINT32_MAX;
        uint8_t buf[MAX_MSG];
        size_t len = pack_ok(&in, buf);
        if (len != weft__cuda_ipc_msg_bytes(counts[c]))
            FAIL("%u handles packed into %zu bytes", counts[c], len);
        char why[160];
        if (weft__cuda_ipc_unpack(buf, len, 4, &out, why, sizeof(why)) != WEFT_OK) {
            FAIL("unpack of %u handles: %s", counts[c], why);
            continue;
        }
        if (out.rank != in.rank || out.pid != in.pid || out.generation != in.generation ||
            out.count != in.count ||
            memcmp(out.entries, in.entries, in.count * sizeof(in.entries[0])) != 0)
            FAIL("round trip of %u handles changed the message", counts[c]);
    }
}

/* Unpack must refuse buf[0..len) with status want. */
static void expect_refused(int line, const uint8_t *buf, size_t len, uint32_t nranks,
                           weft_status_t want, const char *what)
{
    weft__cuda_ipc_msg_t out;
    memset(&out, 0xcd, sizeof(out));
    char why[160] = "";
    weft_status_t st = weft__cuda_ipc_unpack(buf, len, nranks, &out, why, sizeof(why));
    if (st != want || why[0] == '\0' || out.rank != 0xcdcdcdcdu) {
        failures++;
        fprintf(stderr, "FAIL line %d: %s: status %d (expected %d), why '%s'\n", line, what, st,
                want, why);
    }
}

static void test_truncation_and_header(void)
{
    weft__cuda_ipc_msg_t m;
    fill(&m, 2);
    uint8_t buf[MAX_MSG + 1], bad[MAX_MSG + 1];
    size_t len = pack_ok(&m, buf);
    for (size_t cut = 0; cut < len; cut++)
        expect_refused(__LINE__, buf, cut, 8, WEFT_ERR_REMOTE, "truncated");
    buf[len] = 0;
    expect_refused(__LINE__, buf, len + 1, 8, WEFT_ERR_REMOTE, "a byte too many");

    memcpy(bad, buf, len);
    bad[0] ^= 1;
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "magic");
    memcpy(bad, buf, len);
    weft__put_le16(bad + 4, WEFT_WIRE_VERSION + 1);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_INVALID_USAGE, "version");
    memcpy(bad, buf, len);
    weft__put_le16(bad + 6, WEFT_MSG_COLL);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "type");
    memcpy(bad, buf, len);
    weft__put_le32(bad + 8, 0xffffffffu);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "header length 4 GB");
    memcpy(bad, buf, len);
    weft__put_le32(bad + 8, (uint32_t)(len - WEFT_WIRE_HDR_BYTES - 1));
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "header length one short");
    memcpy(bad, buf, len);
    weft__put_le32(bad + 12, 1);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "header reserved");
    /* A header that agrees with a body too short for count entries. */
    memcpy(bad, buf, len);
    weft__put_le32(bad + 8, (uint32_t)(len - WEFT_WIRE_HDR_BYTES - WEFT_CUDA_IPC_ENTRY_BYTES));
    expect_refused(__LINE__, bad, len - WEFT_CUDA_IPC_ENTRY_BYTES, 8, WEFT_ERR_REMOTE,
                   "count beyond the body");
    expect_refused(__LINE__, NULL, 0, 8, WEFT_ERR_REMOTE, "empty");
}

static void test_field_rules(void)
{
    weft__cuda_ipc_msg_t m;
    fill(&m, 2);
    uint8_t buf[MAX_MSG], bad[MAX_MSG];
    size_t len = pack_ok(&m, buf);
    const size_t body = WEFT_WIRE_HDR_BYTES;
    expect_refused(__LINE__, buf, len, 3, WEFT_ERR_REMOTE, "rank 3 of 3");
    memcpy(bad, buf, len);
    weft__put_le64(bad + body + 8, 0);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "generation 0");
    memcpy(bad, buf, len);
    weft__put_le32(bad + body + 16, 0);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "count 0");
    memcpy(bad, buf, len);
    weft__put_le32(bad + body + 16, WEFT_CUDA_IPC_MAX_HANDLES + 1);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "too many handles");
    memcpy(bad, buf, len);
    weft__put_le32(bad + body + 20, 1);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "body reserved");
    const size_t e1 = ENTRY0 + WEFT_CUDA_IPC_ENTRY_BYTES; /* the second entry */
    memcpy(bad, buf, len);
    weft__put_le64(bad + e1 + 72, 0);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "size 0");
    memcpy(bad, buf, len);
    weft__put_le64(bad + e1 + 64, UINT64_MAX - 500);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "offset + size wraps");
    memcpy(bad, buf, len);
    weft__put_le32(bad + e1 + 80, WEFT_CUDA_IPC_MAX_DEVICE);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "device out of range");
    memcpy(bad, buf, len);
    weft__put_le32(bad + ENTRY0 + 84, 0x100);
    expect_refused(__LINE__, bad, len, 8, WEFT_ERR_REMOTE, "entry padding");
    /* nranks 0: the owner's rank is not checked. */
    weft__cuda_ipc_msg_t out;
    char why[160];
    if (weft__cuda_ipc_unpack(buf, len, 0, &out, why, sizeof(why)) != WEFT_OK)
        FAIL("nranks 0: %s", why);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint8_t rng8(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 32);
}

/* Whatever unpack accepts must re-encode to the same bytes. */
static void test_garbage(void)
{
    weft__cuda_ipc_msg_t m, out;
    fill(&m, 1);
    uint8_t valid[MAX_MSG], buf[MAX_MSG], again[MAX_MSG];
    size_t vlen = pack_ok(&m, valid);
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)rng8() * 2 % (vlen + 8);
        for (size_t i = 0; i < len; i++)
            buf[i] = rng8();
        if (round % 2 && len >= WEFT_WIRE_HDR_BYTES) /* a valid header, garbage behind it */
            memcpy(buf, valid, WEFT_WIRE_HDR_BYTES);
        if (round % 4 == 3) { /* a valid message with one bit flipped */
            len = vlen;
            memcpy(buf, valid, vlen);
            buf[(rng8() * 256u + rng8()) % vlen] ^= (uint8_t)(1u << (rng8() % 8));
        }
        char why[160];
        if (weft__cuda_ipc_unpack(buf, len, 1u << 20, &out, why, sizeof(why)) != WEFT_OK)
            continue;
        accepted++;
        size_t len2 = 0;
        if (weft__cuda_ipc_pack(&out, again, sizeof(again), &len2, why, sizeof(why)) != WEFT_OK ||
            len2 != len || memcmp(again, buf, len) != 0)
            FAIL("an accepted input does not re-encode to itself (%zu bytes)", len);
    }
    /* Flips in the opaque handle and UUID bytes, pid, offsets are valid. */
    printf("garbage: %d of 20000 inputs accepted (bit flips in free fields), all re-encode\n",
           accepted);
}

static void test_pack_refusals(void)
{
    weft__cuda_ipc_msg_t m;
    uint8_t buf[MAX_MSG];
    size_t len = 0;
    char why[160];
    fill(&m, 0);
    if (weft__cuda_ipc_pack(&m, buf, sizeof(buf), &len, why, sizeof(why)) != WEFT_ERR_INTERNAL)
        FAIL("pack of 0 handles");
    fill(&m, 1);
    m.generation = 0;
    if (weft__cuda_ipc_pack(&m, buf, sizeof(buf), &len, why, sizeof(why)) != WEFT_ERR_INTERNAL)
        FAIL("pack of generation 0");
    fill(&m, 1);
    m.entries[0].size = 0;
    if (weft__cuda_ipc_pack(&m, buf, sizeof(buf), &len, why, sizeof(why)) != WEFT_ERR_INTERNAL)
        FAIL("pack of size 0");
    fill(&m, 3);
    if (weft__cuda_ipc_pack(&m, buf, weft__cuda_ipc_msg_bytes(3) - 1, &len, why, sizeof(why)) !=
            WEFT_ERR_INTERNAL ||
        len != 0)
        FAIL("pack into a buffer one byte short");
}

int main(void)
{
    test_round_trip();
    test_truncation_and_header();
    test_field_rules();
    test_garbage();
    test_pack_refusals();
    if (failures) {
        fprintf(stderr, "test_cuda_ipc_wire: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_ipc_wire: ok\n");
    return 0;
}
