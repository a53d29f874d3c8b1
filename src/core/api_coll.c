/*
 * api_coll.c - the public collective and point-to-point calls.
 *
 * Each validates its arguments (naming the bad one), then either records
 * the call for the current group or runs it at once.  Checks: a live
 * communicator that has not failed (nor failed in a stream-ordered call),
 * a known datatype and op, root/peer in range, a byte size that does not
 * overflow, non-NULL buffers where data moves, and send/receive buffers
 * that are either disjoint or exactly in place.
 *
 * Where the buffers are decides the path (cuda/ptr.h): host memory runs
 * on the caller's thread (stream must be NULL), after the communicator's
 * earlier stream-ordered calls; device memory is stream-ordered on the
 * caller's stream and returns at once (core/proxy_device.h).  Mixed
 * buffers, another GPU's buffer or stream, and a stream capturing a graph
 * are refused with the argument named.
 */
#include "core/comm.h"
#include "core/proxy_device.h"
#include "cuda/probe.h"
#include "cuda/ptr.h"
#include "cuda/stream.h"
#include "reduce/reduce.h"
#include "util/log.h"

#include <stdint.h>

static weft_status_t check_comm(weft_comm_t comm, const char *fn)
{
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    weft__log_set_context(comm->rank, comm->nranks);
    int busy = 0;
    if ((st = weft__device_check(comm, fn, &busy)) != WEFT_OK)
        return st;
    /* While the proxy runs calls, comm->error is its to write; a failure
     * there is recorded by the proxy too (just above). */
    if (!busy && comm->error != WEFT_OK)
        return weft__error(comm->error, "%s: the communicator failed earlier (%s); destroy or "
                           "abort it", fn, comm->error_msg);
    return WEFT_OK;
}

static weft_status_t check_types(const char *fn, int dt, int op, int with_op)
{
    if (!weft__dtype_valid(dt))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: datatype %d is not a weft_datatype_t",
                           fn, dt);
    if (with_op && !weft__op_valid(op))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: op %d is not a weft_op_t", fn, op);
    return WEFT_OK;
}

/* count * typesize * mult must fit in size_t (and in the address space). */
static weft_status_t check_size(const char *fn, const char *what, size_t count,
                                weft_datatype_t dt, size_t mult)
{
    size_t es = weft__dtype_size(dt);
    if (count > (SIZE_MAX / 2) / es / mult)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s %zu of %s is too large: its size "
                           "in bytes overflows", fn, what, count, weft__dtype_name(dt));
    return WEFT_OK;
}

static weft_status_t check_ptr(const char *fn, const char *name, const void *p, size_t bytes)
{
    if (p == NULL && bytes > 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, name);
    return WEFT_OK;
}

/* Disjoint, or send exactly at recv + inplace_off (or recv exactly at send
 * + inplace_off when recv is the smaller one). */
static weft_status_t check_overlap(const char *fn, const void *send, size_t sbytes,
                                   const void *recv, size_t rbytes, size_t inplace_off)
{
    uintptr_t s = (uintptr_t)send, r = (uintptr_t)recv;
    if (send == NULL || recv == NULL || sbytes == 0 || rbytes == 0)
        return WEFT_OK;
    if (s + sbytes <= r || r + rbytes <= s)
        return WEFT_OK;
    if (sbytes <= rbytes ? s == r + inplace_off : r == s + inplace_off)
        return WEFT_OK;
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: sendbuf and recvbuf overlap without being "
                       "in place (in place, sendbuf must be this rank's slice of recvbuf)", fn);
}

/* Why a call with a stream takes the host path: what its buffers are. */
static const char *host_reason(void)
{
    if (!weft__cuda_built())
        return "this build of weft has no CUDA support";
    if (weft__cuda_probe() == 0)
        return "no GPU is usable here";
    return "the buffers are host memory";
}

/* The path of a call whose buffers are send and recv (NULL: absent, or
 * not used on this rank) into *on_device_p.  A call with no buffer at all
 * (count 0) follows its stream where there is one and a GPU. */
static weft_status_t choose_path(const char *fn, weft_comm_t comm, const void *send,
                                 const void *recv, weft_stream_t stream, int *on_device_p)
{
    weft__call_path_t path = WEFT_CALL_HOST;
    weft_status_t st = weft__mem_check_call(fn, send, recv, comm->device, stream, &path);
    if (st != WEFT_OK)
        return st;
    if (path == WEFT_CALL_HOST && send == NULL && recv == NULL && stream != NULL &&
        comm->device >= 0)
        path = WEFT_CALL_DEVICE;
    if (path == WEFT_CALL_HOST && stream != NULL)
        return weft__error(WEFT_ERR_UNSUPPORTED, "%s: stream is not NULL, but %s: calls on "
                           "host buffers block and take no stream; pass NULL", fn,
                           host_reason());
    if (path == WEFT_CALL_DEVICE)
        st = weft__cuda_stream_usable(fn, comm->device, stream);
    if (st == WEFT_OK)
        *on_device_p = path == WEFT_CALL_DEVICE;
    return st;
}

static weft_status_t submit(weft_comm_t comm, const char *fn, weft_stream_t stream,
                            weft_coll_t coll, size_t count, weft_datatype_t dt, weft_op_t op,
                            int root, const void *send, void *recv)
{
    weft_op_desc_t d;
    weft__op_desc_init(&d, comm, coll, count, dt, op, root, send, recv);
    /* A buffer this rank does not use may be anything: not classified
     * (broadcast's sendbuf off the root, reduce's recvbuf). */
    int unused_send = coll == WEFT_COLL_BROADCAST && comm->rank != root;
    int unused_recv = coll == WEFT_COLL_REDUCE && comm->rank != root;
    weft_status_t st = choose_path(fn, comm, unused_send ? NULL : send,
                                   unused_recv ? NULL : recv, stream, &d.on_device);
    if (st != WEFT_OK)
        return st;
    d.stream = d.on_device ? stream : NULL;
    if (weft__group_active())
        return weft__group_enqueue(&d);
    if (d.on_device)
        return weft__device_run(&d, 1, fn);
    if ((st = weft__device_quiesce(comm, fn)) != WEFT_OK)
        return st;
    return weft__run_ops(&d, 1);
}

WEFT_EXPORT weft_status_t weft_allreduce(const void *sendbuf, void *recvbuf, size_t count,
                                         weft_datatype_t dt, weft_op_t op, weft_comm_t comm,
                                         weft_stream_t stream)
{
    static const char fn[] = "weft_allreduce";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, (int)op, 1);
    if (st == WEFT_OK)
        st = check_size(fn, "count", count, dt, 1);
    if (st != WEFT_OK)
        return st;
    size_t bytes = count * weft__dtype_size(dt);
    if ((st = check_ptr(fn, "sendbuf", sendbuf, bytes)) != WEFT_OK ||
        (st = check_ptr(fn, "recvbuf", recvbuf, bytes)) != WEFT_OK ||
        (st = check_overlap(fn, sendbuf, bytes, recvbuf, bytes, 0)) != WEFT_OK)
        return st;
    return submit(comm, fn, stream, WEFT_COLL_ALLREDUCE, count, dt, op, 0, sendbuf, recvbuf);
}

WEFT_EXPORT weft_status_t weft_allgather(const void *sendbuf, void *recvbuf, size_t sendcount,
                                         weft_datatype_t dt, weft_comm_t comm,
                                         weft_stream_t stream)
{
    static const char fn[] = "weft_allgather";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, 0, 0);
    if (st == WEFT_OK)
        st = check_size(fn, "sendcount", sendcount, dt, (size_t)comm->nranks);
    if (st != WEFT_OK)
        return st;
    size_t bytes = sendcount * weft__dtype_size(dt);
    if ((st = check_ptr(fn, "sendbuf", sendbuf, bytes)) != WEFT_OK ||
        (st = check_ptr(fn, "recvbuf", recvbuf, bytes)) != WEFT_OK ||
        (st = check_overlap(fn, sendbuf, bytes, recvbuf, bytes * (size_t)comm->nranks,
                            bytes * (size_t)comm->rank)) != WEFT_OK)
        return st;
    return submit(comm, fn, stream, WEFT_COLL_ALLGATHER, sendcount, dt, WEFT_SUM, 0, sendbuf,
                  recvbuf);
}

WEFT_EXPORT weft_status_t weft_reduce_scatter(const void *sendbuf, void *recvbuf,
                                              size_t recvcount, weft_datatype_t dt, weft_op_t op,
                                              weft_comm_t comm, weft_stream_t stream)
{
    static const char fn[] = "weft_reduce_scatter";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, (int)op, 1);
    if (st == WEFT_OK)
        st = check_size(fn, "recvcount", recvcount, dt, (size_t)comm->nranks);
    if (st != WEFT_OK)
        return st;
    size_t bytes = recvcount * weft__dtype_size(dt);
    if ((st = check_ptr(fn, "sendbuf", sendbuf, bytes)) != WEFT_OK ||
        (st = check_ptr(fn, "recvbuf", recvbuf, bytes)) != WEFT_OK ||
        (st = check_overlap(fn, sendbuf, bytes * (size_t)comm->nranks, recvbuf, bytes,
                            bytes * (size_t)comm->rank)) != WEFT_OK)
        return st;
    return submit(comm, fn, stream, WEFT_COLL_REDUCE_SCATTER, recvcount, dt, op, 0, sendbuf,
                  recvbuf);
}

static weft_status_t check_root(const char *fn, const char *what, int root, weft_comm_t comm)
{
    if (root < 0 || root >= comm->nranks)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s %d is out of range [0, %d)", fn,
                           what, root, comm->nranks);
    return WEFT_OK;
}

WEFT_EXPORT weft_status_t weft_broadcast(const void *sendbuf, void *recvbuf, size_t count,
                                         weft_datatype_t dt, int root, weft_comm_t comm,
                                         weft_stream_t stream)
{
    static const char fn[] = "weft_broadcast";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, 0, 0);
    if (st == WEFT_OK)
        st = check_root(fn, "root", root, comm);
    if (st == WEFT_OK)
        st = check_size(fn, "count", count, dt, 1);
    if (st != WEFT_OK)
        return st;
    size_t bytes = count * weft__dtype_size(dt);
    int is_root = comm->rank == root;
    if ((is_root && (st = check_ptr(fn, "sendbuf (on the root)", sendbuf, bytes)) != WEFT_OK) ||
        (st = check_ptr(fn, "recvbuf", recvbuf, bytes)) != WEFT_OK ||
        (is_root && (st = check_overlap(fn, sendbuf, bytes, recvbuf, bytes, 0)) != WEFT_OK))
        return st;
    return submit(comm, fn, stream, WEFT_COLL_BROADCAST, count, dt, WEFT_SUM, root, sendbuf,
                  recvbuf);
}

WEFT_EXPORT weft_status_t weft_reduce(const void *sendbuf, void *recvbuf, size_t count,
                                      weft_datatype_t dt, weft_op_t op, int root,
                                      weft_comm_t comm, weft_stream_t stream)
{
    static const char fn[] = "weft_reduce";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, (int)op, 1);
    if (st == WEFT_OK)
        st = check_root(fn, "root", root, comm);
    if (st == WEFT_OK)
        st = check_size(fn, "count", count, dt, 1);
    if (st != WEFT_OK)
        return st;
    size_t bytes = count * weft__dtype_size(dt);
    int is_root = comm->rank == root;
    if ((st = check_ptr(fn, "sendbuf", sendbuf, bytes)) != WEFT_OK ||
        (is_root && (st = check_ptr(fn, "recvbuf (on the root)", recvbuf, bytes)) != WEFT_OK) ||
        (is_root && (st = check_overlap(fn, sendbuf, bytes, recvbuf, bytes, 0)) != WEFT_OK))
        return st;
    return submit(comm, fn, stream, WEFT_COLL_REDUCE, count, dt, op, root, sendbuf, recvbuf);
}

static weft_status_t p2p(const char *fn, weft_coll_t coll, const void *buf, size_t count,
                         weft_datatype_t dt, int peer, weft_comm_t comm, weft_stream_t stream)
{
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, 0, 0);
    if (st == WEFT_OK)
        st = check_root(fn, "peer", peer, comm);
    if (st == WEFT_OK && peer == comm->rank)
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: peer %d is this rank: messages to "
                         "oneself are not supported; copy locally", fn, peer);
    if (st == WEFT_OK)
        st = check_size(fn, "count", count, dt, 1);
    if (st == WEFT_OK)
        st = check_ptr(fn, "buf", buf, count * weft__dtype_size(dt));
    if (st != WEFT_OK)
        return st;
    void *b = (void *)buf;
    return submit(comm, fn, stream, coll, count, dt, WEFT_SUM, peer,
                  coll == WEFT_COLL_SEND ? buf : NULL, coll == WEFT_COLL_RECV ? b : NULL);
}

WEFT_EXPORT weft_status_t weft_send(const void *buf, size_t count, weft_datatype_t dt, int peer,
                                    weft_comm_t comm, weft_stream_t stream)
{
    return p2p("weft_send", WEFT_COLL_SEND, buf, count, dt, peer, comm, stream);
}

WEFT_EXPORT weft_status_t weft_recv(void *buf, size_t count, weft_datatype_t dt, int peer,
                                    weft_comm_t comm, weft_stream_t stream)
{
    return p2p("weft_recv", WEFT_COLL_RECV, buf, count, dt, peer, comm, stream);
}

WEFT_EXPORT weft_status_t weft_barrier(weft_comm_t comm)
{
    weft__clear_error();
    weft_status_t st = check_comm(comm, "weft_barrier");
    if (st != WEFT_OK)
        return st;
    return submit(comm, "weft_barrier", NULL, WEFT_COLL_BARRIER, 0, WEFT_UINT8, WEFT_SUM, 0,
                  NULL, NULL);
}
