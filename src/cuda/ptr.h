/*
 * ptr.h - where a buffer lives, and whether a call's buffers go together.
 *
 * A collective runs on the host path (the caller's thread moves the data)
 * or on the device path (stream-ordered kernels and copies); which one is
 * decided by the memory its buffers point to, as cudaPointerGetAttributes
 * reports it.  The decision is split in two so that it can be tested
 * without a GPU:
 *   - weft__ptr_attrs_query() (ptr_query.c) asks the runtime and copies
 *     the answer into a weft__ptr_attrs_t, a plain C struct; without CUDA,
 *     a driver or a GPU it answers "no CUDA" without calling anything;
 *   - weft__mem_classify() and weft__mem_check_args() (ptr.c) are pure
 *     functions of those structs: tests/unit/test_cuda_ptr.c feeds them
 *     every case.
 *
 * Rules (weft__mem_check_args):
 *   - host and pinned host memory take the host path; device and managed
 *     memory take the device path; absent buffers (NULL) do not vote;
 *   - a call whose buffers are on both sides is an error naming both;
 *   - on the device path the communicator must have a device, every
 *     device buffer must be on it (managed memory is reachable from any
 *     device, so it is not checked), and so must the stream when its
 *     device is known;
 *   - a query that failed for another reason than "not CUDA memory" is
 *     WEFT_ERR_CUDA naming the buffer.
 * A freed device pointer is not detectable in general: current runtimes
 * report it as unregistered host memory, so it is refused only when it
 * meets a device buffer in the same call.
 */
#ifndef WEFT_CUDA_PTR_H
#define WEFT_CUDA_PTR_H

#include <stddef.h>
#include <weft.h>

typedef enum {
    WEFT_MEM_HOST = 0, /* pageable host memory, or anything CUDA does not know */
    WEFT_MEM_PINNED,   /* host memory known to CUDA: cudaMallocHost, cudaHostRegister */
    WEFT_MEM_DEVICE,   /* memory of one GPU: cudaMalloc, cudaMallocAsync, cuMemMap */
    WEFT_MEM_MANAGED   /* unified memory: cudaMallocManaged */
} weft__mem_kind_t;

/* How the query went. */
typedef enum {
    WEFT_PTR_QUERY_OK = 0,  /* type and device are what the runtime said */
    WEFT_PTR_QUERY_UNKNOWN, /* cudaErrorInvalidValue: memory CUDA never saw (older runtimes) */
    WEFT_PTR_QUERY_NO_CUDA, /* no CUDA in this build, no driver or no GPU: all memory is host */
    WEFT_PTR_QUERY_FAILED   /* any other error (error_name says which) */
} weft__ptr_query_t;

/* cudaPointerGetAttributes' answer, without CUDA types. */
typedef struct {
    weft__ptr_query_t query;
    int type;               /* cudaMemoryType: 0 unregistered, 1 host, 2 device, 3 managed */
    int device;             /* the device it was allocated on (or registered from) */
    const char *error_name; /* FAILED: the cudaError_t's name, for the message */
} weft__ptr_attrs_t;

typedef struct {
    weft__mem_kind_t kind;
    int device; /* DEVICE and MANAGED: the runtime's device; HOST and PINNED: -1 */
} weft__mem_t;

/* One buffer argument of a call. */
typedef struct {
    const char *name; /* "sendbuf", "recvbuf": errors name it */
    const void *ptr;  /* NULL: absent (a zero count, a rank that does not use it) */
    weft__ptr_attrs_t attrs;
} weft__buf_arg_t;

typedef enum { WEFT_CALL_HOST = 0, WEFT_CALL_DEVICE } weft__call_path_t;

/* Attributes -> kind.  WEFT_ERR_CUDA (reason in why) for a failed query or
 * an answer that makes no sense (an unknown type, a device memory with no
 * device). */
weft_status_t weft__mem_classify(const weft__ptr_attrs_t *attrs, weft__mem_t *mem_p, char *why,
                                 size_t why_len);

/* Applies the rules above to nargs buffers.  comm_device: the
 * communicator's device, -1 if it has none; stream_device: the stream's,
 * -1 if unknown.  On success *path_p says host or device; on failure the
 * status is WEFT_ERR_INVALID_ARGUMENT (a buffer or the stream is wrong),
 * WEFT_ERR_INVALID_USAGE (device buffers on a communicator without a
 * device) or WEFT_ERR_CUDA, and why names the argument. */
weft_status_t weft__mem_check_args(const weft__buf_arg_t *args, int nargs, int comm_device,
                                   int stream_device, weft__call_path_t *path_p, char *why,
                                   size_t why_len);

/* Asks the runtime about ptr (NULL is host).  Never fails: a failed query
 * is recorded in attrs_p->query. */
void weft__ptr_attrs_query(const void *ptr, weft__ptr_attrs_t *attrs_p);

/* The device of a cudaStream_t (NULL: the current device's default
 * stream), or -1 when it cannot be told (no CUDA, an invalid stream). */
int weft__stream_device(void *stream);

/* The whole check for a call `fn` ("weft_allreduce"): queries sendbuf and
 * recvbuf (either may be NULL) and the stream, applies the rules, and
 * reports a failure through weft__error() with fn and the argument's
 * name.  Without CUDA every buffer is host and the path is host. */
weft_status_t weft__mem_check_call(const char *fn, const void *sendbuf, const void *recvbuf,
                                   int comm_device, void *stream, weft__call_path_t *path_p);

const char *weft__mem_kind_name(weft__mem_kind_t kind); /* "host", "pinned host", ... */

#endif
