/*
 * test_proxy_layout.c - where a call on device buffers sits in pinned
 * staging memory (core/proxy_layout.c), for every collective, on a rank
 * that is not the root and on one that is: the copy in, the copy out,
 * and the host buffers the proxy's in-place collective uses.  And which
 * group calls are refused because one reads device memory an earlier one
 * writes (each is staged before any runs).  And how a large call is cut
 * into pieces that are staged one after the other.
 */
#include "core/comm.h"
#include "core/proxy_device.h"
#include "test_check.h"

#include <string.h>

static char A[1024], B[1024], C[1024]; /* stand-ins for device buffers */

static weft_op_desc_t call(weft_coll_t coll, int root, const void *send, void *recv)
{
    weft_op_desc_t d;
    memset(&d, 0, sizeof(d));
    d.comm = (struct weft_comm *)(uintptr_t)0x1000;
    d.args.coll = coll;
    d.args.rank = 1;
    d.args.nranks = 4;
    d.args.count = 10; /* float32: 40 bytes per rank */
    d.args.dt = WEFT_FLOAT32;
    d.args.root = root;
    d.sendbuf = send;
    d.recvbuf = recv;
    d.on_device = 1;
    return d;
}

/* Expected: region bytes, copy in (offset, bytes), copy out (offset,
 * bytes), and the host call's send/recv offsets (-1: NULL). */
static void expect(int line, weft_op_desc_t d, size_t bytes, size_t in_off, size_t in_bytes,
                   size_t out_off, size_t out_bytes, long send_off, long recv_off)
{
    weft_stage_span_t s;
    weft__stage_span(&d, &s);
    if (s.bytes != bytes || s.in_off != in_off || s.in_bytes != in_bytes ||
        s.out_off != out_off || s.out_bytes != out_bytes ||
        (s.has_send ? (long)s.send_off : -1) != send_off ||
        (s.has_recv ? (long)s.recv_off : -1) != recv_off)
        FAIL_AT(line,
                "coll %d root %d: bytes %zu in %zu+%zu out %zu+%zu send %ld recv %ld",
                (int)d.args.coll, d.args.root, s.bytes, s.in_off, s.in_bytes, s.out_off,
                s.out_bytes, s.has_send ? (long)s.send_off : -1,
                s.has_recv ? (long)s.recv_off : -1);
    if ((s.in_bytes > 0) != (s.in_src != NULL) || (s.out_bytes > 0) != (s.out_dst != NULL))
        FAIL_AT(line, "coll %d: a copy without its device buffer", (int)d.args.coll);
    if (s.in_bytes > 0 && s.in_src != d.sendbuf)
        FAIL_AT(line, "coll %d: copies in from the wrong buffer", (int)d.args.coll);
    if (s.out_bytes > 0 && s.out_dst != d.recvbuf)
        FAIL_AT(line, "coll %d: copies out to the wrong buffer", (int)d.args.coll);
}

static void test_spans(void)
{
    expect(__LINE__, call(WEFT_COLL_ALLREDUCE, 0, A, B), 40, 0, 40, 0, 40, 0, 0);
    expect(__LINE__, call(WEFT_COLL_ALLREDUCE, 0, A, A), 40, 0, 40, 0, 40, 0, 0);
    /* All-gather: the input is rank 1's slice; the whole region goes out. */
    expect(__LINE__, call(WEFT_COLL_ALLGATHER, 0, A, B), 160, 40, 40, 0, 160, 40, 0);
    expect(__LINE__, call(WEFT_COLL_ALLGATHER, 0, B + 40, B), 160, 40, 40, 0, 160, 40, 0);
    /* Reduce-scatter: all of the input in, rank 1's slice out. */
    expect(__LINE__, call(WEFT_COLL_REDUCE_SCATTER, 0, A, B), 160, 0, 160, 40, 40, 0, 40);
    /* Broadcast: only the root copies in; every rank copies out. */
    expect(__LINE__, call(WEFT_COLL_BROADCAST, 1, A, B), 40, 0, 40, 0, 40, 0, 0);
    expect(__LINE__, call(WEFT_COLL_BROADCAST, 2, NULL, B), 40, 0, 0, 0, 40, 0, 0);
    /* Reduce: every rank copies in; only the root has a result. */
    expect(__LINE__, call(WEFT_COLL_REDUCE, 1, A, B), 40, 0, 40, 0, 40, 0, 0);
    expect(__LINE__, call(WEFT_COLL_REDUCE, 2, A, NULL), 40, 0, 40, 0, 0, 0, -1);
    expect(__LINE__, call(WEFT_COLL_SEND, 3, A, NULL), 40, 0, 40, 0, 0, 0, -1);
    expect(__LINE__, call(WEFT_COLL_RECV, 3, NULL, B), 40, 0, 0, 0, 40, -1, 0);
    weft_op_desc_t empty = call(WEFT_COLL_ALLREDUCE, 0, A, B);
    empty.args.count = 0;
    expect(__LINE__, empty, 0, 0, 0, 0, 0, 0, 0);
}

static void test_conflicts(void)
{
    int first = -1, second = -1;
    weft_op_desc_t g[3];
    /* The second reads what the first writes: refused, named. */
    g[0] = call(WEFT_COLL_ALLREDUCE, 0, A, B);
    g[1] = call(WEFT_COLL_ALLREDUCE, 0, B + 8, C);
    CHECK(weft__stage_conflict(g, 2, &first, &second) && first == 0 && second == 1,
          "read after write not found (%d, %d)", first, second);
    /* In place, then a send of the same buffer. */
    g[0] = call(WEFT_COLL_ALLREDUCE, 0, A, A);
    g[1] = call(WEFT_COLL_SEND, 3, A, NULL);
    CHECK(weft__stage_conflict(g, 2, &first, &second), "in-place then send not found");
    /* Fine: disjoint; a later call writing what an earlier one reads (the
     * earlier one's input was staged first, as call order wants); two
     * ranks (communicators) of one process. */
    g[0] = call(WEFT_COLL_ALLREDUCE, 0, A, B);
    g[1] = call(WEFT_COLL_ALLREDUCE, 0, C, C);
    g[2] = call(WEFT_COLL_RECV, 3, NULL, A);
    CHECK(!weft__stage_conflict(g, 3, &first, &second), "false conflict (%d, %d)", first,
          second);
    g[1] = call(WEFT_COLL_ALLREDUCE, 0, B, C);
    g[1].comm = (struct weft_comm *)(uintptr_t)0x2000;
    CHECK(!weft__stage_conflict(g, 2, &first, &second), "conflict across communicators");
}

/* Pieces of a large call: they tile the vector exactly, in order, on the
 * same buffers (NULL stays NULL, in place stays in place); the other
 * collectives, small calls and a piece smaller than an element stay
 * whole. */
static void test_pieces(void)
{
    weft_op_desc_t d = call(WEFT_COLL_ALLREDUCE, 0, A, B), p;
    d.args.count = 250; /* 1000 bytes of float32 */
    CHECK(weft__stage_piece_count(&d, 1000) == 1, "a call of one piece's size is whole");
    CHECK(weft__stage_piece_count(&d, 0) == 1, "no piece size: whole");
    CHECK(weft__stage_piece_count(&d, 3) == 1, "a piece smaller than an element: whole");
    uint64_t n = weft__stage_piece_count(&d, 96); /* 24 elements a piece */
    CHECK(n == 11, "250 elements in pieces of 24: %llu pieces", (unsigned long long)n);
    uint64_t next = 0;
    for (uint64_t k = 0; k < n; k++) {
        weft__stage_piece(&d, 96, k, &p);
        size_t at = (size_t)next * 4;
        CHECK(p.sendbuf == A + at && p.recvbuf == B + at, "piece %llu starts at element %llu",
              (unsigned long long)k, (unsigned long long)next);
        CHECK(p.args.count == (k + 1 < n ? 24 : 10), "piece %llu: %llu elements",
              (unsigned long long)k, (unsigned long long)p.args.count);
        CHECK(p.args.coll == d.args.coll && p.comm == d.comm && p.on_device,
              "piece %llu keeps the call", (unsigned long long)k);
        next += p.args.count;
    }
    CHECK(next == 250, "the pieces cover %llu of 250 elements", (unsigned long long)next);
    d = call(WEFT_COLL_BROADCAST, 0, NULL, B); /* rank 1 is not the root */
    d.args.count = 100;
    weft__stage_piece(&d, 40, 2, &p);
    CHECK(p.sendbuf == NULL && p.recvbuf == B + 80 && p.args.count == 10,
          "broadcast off the root: sendbuf stays NULL");
    d = call(WEFT_COLL_ALLREDUCE, 0, B, B);
    d.args.count = 100;
    weft__stage_piece(&d, 40, 3, &p);
    CHECK(p.sendbuf == p.recvbuf && p.recvbuf == B + 120, "in place stays in place");
    d = call(WEFT_COLL_ALLGATHER, 0, A, B);
    d.args.count = 100;
    CHECK(weft__stage_piece_count(&d, 40) == 1, "all-gather is not cut");
}

int main(void)
{
    test_spans();
    test_conflicts();
    test_pieces();
    if (failures)
        fprintf(stderr, "test_proxy_layout: %d failures\n", failures);
    else
        printf("test_proxy_layout: ok\n");
    return failures ? 1 : 0;
}
