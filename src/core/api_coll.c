/*
 * api_coll.c - the public collective and point-to-point calls.
 *
 * Each validates its arguments (naming the bad one), then either records
 * the call for the current group or runs it at once.  Checks: a live
 * communicator that has not failed, a known datatype and op, root/peer in
 * range, a byte size that does not overflow, non-NULL buffers where data
 * moves, host buffers (stream NULL), and send/receive buffers that are
 * either disjoint or exactly in place.
 */
#include "core/comm.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"

#include <stdint.h>
#include <string.h>

static weft_status_t check_comm(weft_comm_t comm, const char *fn)
{
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    weft__log_set_context(comm->rank, comm->nranks);
    if (comm->error != WEFT_OK)
        return weft__error(comm->error, "%s: the communicator failed earlier (%s); destroy or "
                           "abort it", fn, comm->error_msg);
    return WEFT_OK;
}

static weft_status_t check_types(const char *fn, int dt, int op, int with_op, weft_stream_t stream)
{
    if (!weft__dtype_valid(dt))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: datatype %d is not a weft_datatype_t",
                           fn, dt);
    if (with_op && !weft__op_valid(op))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: op %d is not a weft_op_t", fn, op);
    if (stream != NULL)
        return weft__error(WEFT_ERR_UNSUPPORTED, "%s: stream is not NULL, but this build of weft "
                           "has no CUDA support: pass NULL for host buffers", fn);
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

static weft_status_t submit(weft_comm_t comm, weft_coll_t coll, size_t count, weft_datatype_t dt,
                            weft_op_t op, int root, const void *send, void *recv)
{
    uint64_t chunk = (uint64_t)weft__config_int(WEFT_CFG_CHUNK_BYTES) / weft__dtype_size(dt);
    weft_op_desc_t d;
    /* The plan cache compares arguments byte for byte: padding included. */
    memset(&d, 0, sizeof(d));
    d.comm = comm;
    d.args.coll = coll;
    d.args.rank = comm->rank;
    d.args.nranks = comm->nranks;
    d.args.count = count;
    d.args.dt = dt;
    d.args.op = op;
    d.args.root = root;
    d.args.slice = chunk > 0 ? chunk : 1;
    d.args.layout = &comm->layout;
    d.sendbuf = send;
    d.recvbuf = recv;
    if (weft__group_active())
        return weft__group_enqueue(&d);
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
        st = check_types(fn, (int)dt, (int)op, 1, stream);
    if (st == WEFT_OK)
        st = check_size(fn, "count", count, dt, 1);
    if (st != WEFT_OK)
        return st;
    size_t bytes = count * weft__dtype_size(dt);
    if ((st = check_ptr(fn, "sendbuf", sendbuf, bytes)) != WEFT_OK ||
        (st = check_ptr(fn, "recvbuf", recvbuf, bytes)) != WEFT_OK ||
        (st = check_overlap(fn, sendbuf, bytes, recvbuf, bytes, 0)) != WEFT_OK)
        return st;
    return submit(comm, WEFT_COLL_ALLREDUCE, count, dt, op, 0, sendbuf, recvbuf);
}

WEFT_EXPORT weft_status_t weft_allgather(const void *sendbuf, void *recvbuf, size_t sendcount,
                                         weft_datatype_t dt, weft_comm_t comm,
                                         weft_stream_t stream)
{
    static const char fn[] = "weft_allgather";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, 0, 0, stream);
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
    return submit(comm, WEFT_COLL_ALLGATHER, sendcount, dt, WEFT_SUM, 0, sendbuf, recvbuf);
}

WEFT_EXPORT weft_status_t weft_reduce_scatter(const void *sendbuf, void *recvbuf,
                                              size_t recvcount, weft_datatype_t dt, weft_op_t op,
                                              weft_comm_t comm, weft_stream_t stream)
{
    static const char fn[] = "weft_reduce_scatter";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, (int)op, 1, stream);
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
    return submit(comm, WEFT_COLL_REDUCE_SCATTER, recvcount, dt, op, 0, sendbuf, recvbuf);
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
        st = check_types(fn, (int)dt, 0, 0, stream);
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
    return submit(comm, WEFT_COLL_BROADCAST, count, dt, WEFT_SUM, root, sendbuf, recvbuf);
}

WEFT_EXPORT weft_status_t weft_reduce(const void *sendbuf, void *recvbuf, size_t count,
                                      weft_datatype_t dt, weft_op_t op, int root,
                                      weft_comm_t comm, weft_stream_t stream)
{
    static const char fn[] = "weft_reduce";
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, (int)op, 1, stream);
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
    return submit(comm, WEFT_COLL_REDUCE, count, dt, op, root, sendbuf, recvbuf);
}

static weft_status_t p2p(const char *fn, weft_coll_t coll, const void *buf, size_t count,
                         weft_datatype_t dt, int peer, weft_comm_t comm, weft_stream_t stream)
{
    weft__clear_error();
    weft_status_t st = check_comm(comm, fn);
    if (st == WEFT_OK)
        st = check_types(fn, (int)dt, 0, 0, stream);
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
    return submit(comm, coll, count, dt, WEFT_SUM, peer, coll == WEFT_COLL_SEND ? buf : NULL,
                  coll == WEFT_COLL_RECV ? b : NULL);
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
    return submit(comm, WEFT_COLL_BARRIER, 0, WEFT_UINT8, WEFT_SUM, 0, NULL, NULL);
}
