/*
 * ptr.c - the pure half of pointer classification (ptr.h): from what the
 * runtime said about each buffer to the path a call takes, or the error
 * that names the argument at fault.  No CUDA call here, so the rules are
 * unit-tested on machines without a GPU (tests/unit/test_cuda_ptr.c).
 */
#include "cuda/ptr.h"
#include "util/compiler.h"

#include <stdio.h>

/* cudaMemoryType's values (driver_types.h), stable since CUDA 10. */
enum {
    CUDA_MEMORY_UNREGISTERED = 0,
    CUDA_MEMORY_HOST = 1,
    CUDA_MEMORY_DEVICE = 2,
    CUDA_MEMORY_MANAGED = 3
};

const char *weft__mem_kind_name(weft__mem_kind_t kind)
{
    switch (kind) {
    case WEFT_MEM_HOST:
        return "host memory";
    case WEFT_MEM_PINNED:
        return "pinned host memory";
    case WEFT_MEM_DEVICE:
        return "device memory";
    case WEFT_MEM_MANAGED:
        return "managed memory";
    }
    return "unknown memory";
}

weft_status_t weft__mem_classify(const weft__ptr_attrs_t *attrs, weft__mem_t *mem_p, char *why,
                                 size_t why_len)
{
    weft__mem_t mem = {WEFT_MEM_HOST, -1};
    switch (attrs->query) {
    case WEFT_PTR_QUERY_UNKNOWN:
    case WEFT_PTR_QUERY_NO_CUDA:
        break;
    case WEFT_PTR_QUERY_FAILED:
        snprintf(why, why_len, "cudaPointerGetAttributes failed (%s)",
                 attrs->error_name != NULL ? attrs->error_name : "unknown error");
        return WEFT_ERR_CUDA;
    case WEFT_PTR_QUERY_OK:
        if (attrs->type == CUDA_MEMORY_UNREGISTERED) {
            break;
        } else if (attrs->type == CUDA_MEMORY_HOST) {
            mem.kind = WEFT_MEM_PINNED;
        } else if (attrs->type == CUDA_MEMORY_DEVICE || attrs->type == CUDA_MEMORY_MANAGED) {
            mem.kind = attrs->type == CUDA_MEMORY_DEVICE ? WEFT_MEM_DEVICE : WEFT_MEM_MANAGED;
            mem.device = attrs->device;
            if (mem.device < 0) {
                snprintf(why, why_len, "the CUDA runtime reports %s on no device (%d)",
                         weft__mem_kind_name(mem.kind), attrs->device);
                return WEFT_ERR_CUDA;
            }
        } else {
            snprintf(why, why_len, "the CUDA runtime reports an unknown memory type %d",
                     attrs->type);
            return WEFT_ERR_CUDA;
        }
        break;
    default:
        snprintf(why, why_len, "invalid pointer query state %d (a weft bug)", (int)attrs->query);
        return WEFT_ERR_INTERNAL;
    }
    *mem_p = mem;
    return WEFT_OK;
}

static int on_device_path(weft__mem_kind_t kind)
{
    return kind == WEFT_MEM_DEVICE || kind == WEFT_MEM_MANAGED;
}

/* "device memory on GPU 1", "pinned host memory". */
static const char *describe(const weft__mem_t *mem, char *buf, size_t len)
{
    if (mem->kind == WEFT_MEM_DEVICE)
        snprintf(buf, len, "device memory on GPU %d", mem->device);
    else
        snprintf(buf, len, "%s", weft__mem_kind_name(mem->kind));
    return buf;
}

/* The device-path rules, once the buffers agree on the device side. */
static weft_status_t check_devices(const weft__buf_arg_t *args, const weft__mem_t *mems, int nargs,
                                   int comm_device, int stream_device, char *why, size_t why_len)
{
    for (int i = 0; i < nargs; i++) {
        if (args[i].ptr == NULL)
            continue;
        if (comm_device < 0) {
            snprintf(why, why_len,
                     "%s %p is %s, but the communicator has no CUDA device (make the GPU "
                     "current with cudaSetDevice before creating it)",
                     args[i].name, args[i].ptr, weft__mem_kind_name(mems[i].kind));
            return WEFT_ERR_INVALID_USAGE;
        }
        /* Managed memory is reachable from every device: only real device
         * memory must be the communicator's own. */
        if (mems[i].kind == WEFT_MEM_DEVICE && mems[i].device != comm_device) {
            snprintf(why, why_len,
                     "%s %p is device memory on GPU %d, but the communicator uses GPU %d",
                     args[i].name, args[i].ptr, mems[i].device, comm_device);
            return WEFT_ERR_INVALID_ARGUMENT;
        }
    }
    if (stream_device >= 0 && stream_device != comm_device) {
        snprintf(why, why_len, "the stream belongs to GPU %d, but the communicator uses GPU %d",
                 stream_device, comm_device);
        return WEFT_ERR_INVALID_ARGUMENT;
    }
    return WEFT_OK;
}

/* Room for the buffers of any call (send, recv, and a spare). */
#define MAX_BUF_ARGS 4

weft_status_t weft__mem_check_args(const weft__buf_arg_t *args, int nargs, int comm_device,
                                   int stream_device, weft__call_path_t *path_p, char *why,
                                   size_t why_len)
{
    if (nargs < 0 || nargs > MAX_BUF_ARGS) {
        snprintf(why, why_len, "%d buffer arguments (a weft bug)", nargs);
        return WEFT_ERR_INTERNAL;
    }
    weft__mem_t mems[MAX_BUF_ARGS];
    int first_host = -1, first_device = -1;
    for (int i = 0; i < nargs; i++) {
        if (args[i].ptr == NULL)
            continue;
        char reason[160];
        weft_status_t st = weft__mem_classify(&args[i].attrs, &mems[i], reason, sizeof(reason));
        if (st != WEFT_OK) {
            snprintf(why, why_len, "%s %p: %s", args[i].name, args[i].ptr, reason);
            return st;
        }
        int *first = on_device_path(mems[i].kind) ? &first_device : &first_host;
        if (*first < 0)
            *first = i;
    }
    if (first_host >= 0 && first_device >= 0) {
        /* Named in argument order: "sendbuf ... but recvbuf ...". */
        int a = WEFT_MIN(first_host, first_device), b = WEFT_MAX(first_host, first_device);
        char adesc[64], bdesc[64];
        snprintf(why, why_len,
                 "%s %p is %s but %s %p is %s: a call's buffers must all be host memory or "
                 "all be device memory",
                 args[a].name, args[a].ptr, describe(&mems[a], adesc, sizeof(adesc)), args[b].name,
                 args[b].ptr, describe(&mems[b], bdesc, sizeof(bdesc)));
        return WEFT_ERR_INVALID_ARGUMENT;
    }
    if (first_device >= 0) {
        weft_status_t st =
            check_devices(args, mems, nargs, comm_device, stream_device, why, why_len);
        if (st != WEFT_OK)
            return st;
    }
    *path_p = first_device >= 0 ? WEFT_CALL_DEVICE : WEFT_CALL_HOST;
    return WEFT_OK;
}
