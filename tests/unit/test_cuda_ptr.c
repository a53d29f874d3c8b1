/*
 * test_cuda_ptr.c - the rules that decide where a call's buffers live
 * (src/cuda/ptr.h), fed attribute structs as cudaPointerGetAttributes
 * would fill them, so that every case runs here without a GPU:
 *  - classification of every query outcome and memory type, and the
 *    nonsense answers (unknown type, device memory on no device);
 *  - calls whose buffers agree (host, pinned, device, managed, mixed
 *    pinned/pageable, device with managed, absent buffers) take the
 *    right path;
 *  - mixed host/device buffers, a buffer on another GPU, a stream of
 *    another GPU, device buffers on a communicator without a device and a
 *    failed query are refused with the right status and a message that
 *    names the argument;
 *  - on this build and machine, the live query (weft__mem_check_call) of
 *    host memory takes the host path.
 */
#include "cuda/ptr.h"
#include "test_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cudaMemoryType values. */
enum { UNREGISTERED = 0, HOST = 1, DEVICE = 2, MANAGED = 3 };

/* Distinct fake addresses: the rules never dereference them. */
static char send_mem[8], recv_mem[8];

static weft__ptr_attrs_t ok(int type, int device)
{
    return (weft__ptr_attrs_t){WEFT_PTR_QUERY_OK, type, device, NULL};
}

static weft__ptr_attrs_t outcome(weft__ptr_query_t query)
{
    return (weft__ptr_attrs_t){query, 0, -1, query == WEFT_PTR_QUERY_FAILED ? "cudaErrorX" : NULL};
}

static void test_classify(void)
{
    static const struct {
        weft__ptr_attrs_t attrs;
        weft_status_t status;
        weft__mem_kind_t kind;
        int device;
    } cases[] = {
        {{WEFT_PTR_QUERY_OK, UNREGISTERED, -2, NULL}, WEFT_OK, WEFT_MEM_HOST, -1},
        {{WEFT_PTR_QUERY_OK, HOST, 0, NULL}, WEFT_OK, WEFT_MEM_PINNED, -1},
        {{WEFT_PTR_QUERY_OK, DEVICE, 3, NULL}, WEFT_OK, WEFT_MEM_DEVICE, 3},
        {{WEFT_PTR_QUERY_OK, MANAGED, 1, NULL}, WEFT_OK, WEFT_MEM_MANAGED, 1},
        {{WEFT_PTR_QUERY_UNKNOWN, 0, -1, NULL}, WEFT_OK, WEFT_MEM_HOST, -1},
        {{WEFT_PTR_QUERY_NO_CUDA, 0, -1, NULL}, WEFT_OK, WEFT_MEM_HOST, -1},
        {{WEFT_PTR_QUERY_FAILED, 0, -1, "cudaErrorContextIsDestroyed"}, WEFT_ERR_CUDA, 0, 0},
        {{WEFT_PTR_QUERY_FAILED, 0, -1, NULL}, WEFT_ERR_CUDA, 0, 0},
        {{WEFT_PTR_QUERY_OK, 7, 0, NULL}, WEFT_ERR_CUDA, 0, 0},
        {{WEFT_PTR_QUERY_OK, DEVICE, -1, NULL}, WEFT_ERR_CUDA, 0, 0},
        {{(weft__ptr_query_t)42, 0, 0, NULL}, WEFT_ERR_INTERNAL, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        weft__mem_t mem = {(weft__mem_kind_t)99, 99};
        char why[160] = "";
        weft_status_t st = weft__mem_classify(&cases[i].attrs, &mem, why, sizeof(why));
        if (st != cases[i].status) {
            FAIL("classify case %zu: status %d, expected %d (%s)", i, st, cases[i].status, why);
        } else if (st == WEFT_OK && (mem.kind != cases[i].kind || mem.device != cases[i].device)) {
            FAIL("classify case %zu: %s on %d, expected %s on %d", i, weft__mem_kind_name(mem.kind),
                 mem.device, weft__mem_kind_name(cases[i].kind), cases[i].device);
        } else if (st != WEFT_OK && (why[0] == '\0' || mem.device != 99)) {
            FAIL("classify case %zu: no reason, or the output was written", i);
        }
    }
    if (strstr(weft__mem_kind_name(WEFT_MEM_PINNED), "pinned") == NULL)
        FAIL("kind name of PINNED: %s", weft__mem_kind_name(WEFT_MEM_PINNED));
}

/* Runs the check on (sendbuf, recvbuf); send or recv attributes NULL
 * leave that buffer absent. */
static weft_status_t check(const weft__ptr_attrs_t *send, const weft__ptr_attrs_t *recv,
                           int comm_device, int stream_device, weft__call_path_t *path_p, char *why,
                           size_t why_len)
{
    weft__buf_arg_t args[2] = {{.name = "sendbuf", .ptr = send ? send_mem : NULL},
                               {.name = "recvbuf", .ptr = recv ? recv_mem : NULL}};
    if (send)
        args[0].attrs = *send;
    if (recv)
        args[1].attrs = *recv;
    why[0] = '\0';
    return weft__mem_check_args(args, 2, comm_device, stream_device, path_p, why, why_len);
}

static void expect_path(int line, weft__ptr_attrs_t send, weft__ptr_attrs_t recv, int comm_device,
                        int stream_device, weft__call_path_t want)
{
    weft__call_path_t path = (weft__call_path_t)-1;
    char why[320];
    weft_status_t st = check(&send, &recv, comm_device, stream_device, &path, why, sizeof(why));
    if (st != WEFT_OK || path != want)
        FAIL_AT(line, "status %d path %d, expected path %d (%s)", st, path, want, why);
}

static void test_paths(void)
{
    weft__call_path_t H = WEFT_CALL_HOST, D = WEFT_CALL_DEVICE;
    expect_path(__LINE__, ok(UNREGISTERED, -1), ok(UNREGISTERED, -1), -1, -1, H);
    expect_path(__LINE__, ok(HOST, 0), ok(UNREGISTERED, -1), 0, 1, H); /* stream ignored */
    expect_path(__LINE__, ok(HOST, 1), ok(HOST, 0), -1, -1, H);
    expect_path(__LINE__, outcome(WEFT_PTR_QUERY_NO_CUDA), outcome(WEFT_PTR_QUERY_NO_CUDA), -1, -1,
                H);
    expect_path(__LINE__, outcome(WEFT_PTR_QUERY_UNKNOWN), ok(HOST, 0), 0, 0, H);
    expect_path(__LINE__, ok(DEVICE, 0), ok(DEVICE, 0), 0, 0, D);
    expect_path(__LINE__, ok(DEVICE, 2), ok(DEVICE, 2), 2, -1, D); /* stream unknown */
    expect_path(__LINE__, ok(MANAGED, 0), ok(DEVICE, 1), 1, 1, D); /* managed: any device */
    expect_path(__LINE__, ok(MANAGED, 3), ok(MANAGED, 3), 0, 0, D);
    /* Absent buffers do not vote. */
    weft__call_path_t path = (weft__call_path_t)-1;
    char why[320];
    weft__ptr_attrs_t dev = ok(DEVICE, 0), host = ok(UNREGISTERED, -1);
    if (check(NULL, &dev, 0, 0, &path, why, sizeof(why)) != WEFT_OK || path != D)
        FAIL("recvbuf only, device: %s", why);
    if (check(&host, NULL, 0, 0, &path, why, sizeof(why)) != WEFT_OK || path != H)
        FAIL("sendbuf only, host: %s", why);
    if (check(NULL, NULL, -1, -1, &path, why, sizeof(why)) != WEFT_OK || path != H)
        FAIL("no buffers: %s", why);
}

/* A refused call: the status, no path written, and every word of need in
 * the message. */
static void expect_refused(int line, const weft__ptr_attrs_t *send, const weft__ptr_attrs_t *recv,
                           int comm_device, int stream_device, weft_status_t want,
                           const char *need1, const char *need2)
{
    weft__call_path_t path = (weft__call_path_t)77;
    char why[320];
    weft_status_t st = check(send, recv, comm_device, stream_device, &path, why, sizeof(why));
    if (st != want || path != (weft__call_path_t)77)
        FAIL_AT(line, "status %d (expected %d), path %d: %s", st, want, path, why);
    else if (strstr(why, need1) == NULL || (need2 != NULL && strstr(why, need2) == NULL))
        FAIL_AT(line, "message lacks '%s'/'%s': %s", need1, need2 ? need2 : "", why);
    else
        printf("refused as expected: %s\n", why);
}

static void test_refusals(void)
{
    weft__ptr_attrs_t host = ok(UNREGISTERED, -1), pinned = ok(HOST, 0);
    weft__ptr_attrs_t dev0 = ok(DEVICE, 0), dev1 = ok(DEVICE, 1), managed = ok(MANAGED, 0);
    weft__ptr_attrs_t failed = outcome(WEFT_PTR_QUERY_FAILED),
                      nocuda = outcome(WEFT_PTR_QUERY_NO_CUDA);
    /* Mixed host and device, both orders, pinned and managed too. */
    expect_refused(__LINE__, &host, &dev0, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "sendbuf", "recvbuf");
    expect_refused(__LINE__, &dev0, &host, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "recvbuf",
                   "device memory on GPU 0");
    expect_refused(__LINE__, &pinned, &dev0, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "pinned host",
                   "sendbuf");
    expect_refused(__LINE__, &managed, &host, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "managed",
                   "recvbuf");
    expect_refused(__LINE__, &nocuda, &dev0, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "host memory",
                   "sendbuf");
    /* A buffer on another GPU than the communicator's. */
    expect_refused(__LINE__, &dev1, &dev0, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "sendbuf",
                   "GPU 1, but the communicator uses GPU 0");
    expect_refused(__LINE__, &dev0, &dev1, 0, 0, WEFT_ERR_INVALID_ARGUMENT, "recvbuf", "GPU 1");
    /* A stream of another GPU. */
    expect_refused(__LINE__, &dev0, &dev0, 0, 1, WEFT_ERR_INVALID_ARGUMENT, "stream",
                   "GPU 1, but the communicator uses GPU 0");
    expect_refused(__LINE__, &managed, &managed, 2, 0, WEFT_ERR_INVALID_ARGUMENT, "stream",
                   "GPU 0");
    /* Device buffers on a communicator without a device. */
    expect_refused(__LINE__, &dev0, &dev0, -1, -1, WEFT_ERR_INVALID_USAGE, "sendbuf",
                   "no CUDA device");
    expect_refused(__LINE__, NULL, &managed, -1, 0, WEFT_ERR_INVALID_USAGE, "recvbuf",
                   "no CUDA device");
    /* A failed query, named with the runtime's error. */
    expect_refused(__LINE__, &host, &failed, 0, 0, WEFT_ERR_CUDA, "recvbuf", "cudaErrorX");
    expect_refused(__LINE__, &failed, &dev0, 0, 0, WEFT_ERR_CUDA, "sendbuf", "cudaErrorX");
    /* Too many arguments is a weft bug, not a crash. */
    weft__buf_arg_t many[5] = {{0}};
    weft__call_path_t path;
    char why[320];
    if (weft__mem_check_args(many, 5, 0, 0, &path, why, sizeof(why)) != WEFT_ERR_INTERNAL)
        FAIL("5 buffer arguments accepted");
    /* A short message buffer truncates, never overflows. */
    char tiny[8];
    weft__buf_arg_t mixed[2] = {{"sendbuf", send_mem, host}, {"recvbuf", recv_mem, dev0}};
    if (weft__mem_check_args(mixed, 2, 0, 0, &path, tiny, sizeof(tiny)) == WEFT_OK ||
        strlen(tiny) != sizeof(tiny) - 1)
        FAIL("truncated message: '%s'", tiny);
}

/* The live path on this machine: host memory is host memory whatever the
 * build, and a stack buffer and a malloc'd one take the host path. */
static void test_live(void)
{
    char stack_buf[64] = {0};
    char *heap_buf = calloc(1, 64);
    weft__call_path_t path = (weft__call_path_t)-1;
    weft_status_t st = weft__mem_check_call("test", stack_buf, heap_buf, -1, NULL, &path);
    if (st != WEFT_OK || path != WEFT_CALL_HOST)
        FAIL("live check of host buffers: status %d, path %d", st, path);
    weft__ptr_attrs_t attrs;
    weft__ptr_attrs_query(heap_buf, &attrs);
    weft__mem_t mem;
    char why[160];
    if (weft__mem_classify(&attrs, &mem, why, sizeof(why)) != WEFT_OK || mem.kind != WEFT_MEM_HOST)
        FAIL("live classification of malloc'd memory: query %d type %d", attrs.query, attrs.type);
    st = weft__mem_check_call("test", NULL, NULL, 0, NULL, &path);
    if (st != WEFT_OK || path != WEFT_CALL_HOST)
        FAIL("live check without buffers: status %d", st);
    free(heap_buf);
}

int main(void)
{
    test_classify();
    test_paths();
    test_refusals();
    test_live();
    if (failures) {
        fprintf(stderr, "test_cuda_ptr: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_ptr: ok\n");
    return 0;
}
