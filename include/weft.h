/*
 * weft.h - the public C API of weft, a topology-aware collective
 * communication library.
 *
 * A communicator joins nranks ranks (threads of one process, processes of
 * one machine, or processes on different machines).  Every rank calls the
 * same collectives in the same order with matching arguments.
 *
 * Host buffers (stream == NULL): a call blocks until the operation is
 * complete on this rank, except between weft_group_start() and
 * weft_group_end(), where calls are queued and issued together when the
 * outermost weft_group_end() runs; one thread can then drive every rank of
 * weft_comm_init_all().
 *
 * Device buffers (CUDA memory of the communicator's GPU; stream is a
 * cudaStream_t, NULL meaning the default stream): a call is stream-ordered.
 * It returns at once; the operation starts when the stream reaches it, and
 * work queued on the stream after it sees the result.  Calls on one
 * communicator run in the order they were made, whatever their streams,
 * and a host-buffer call waits for the device calls made before it.  An
 * error found after the call returned (a peer gone, the deadline) is
 * recorded on the communicator: weft_comm_get_async_error() returns it,
 * every later call fails with it, and the outputs of the failed call and
 * of later ones are undefined.  A call on a stream that is capturing a
 * CUDA graph returns WEFT_ERR_UNSUPPORTED.  Ranks that share a process
 * must not share a stream (each rank's stream waits for its own peers).
 *
 * Every function returns a weft_status_t; on failure weft_last_error()
 * returns a message for the calling thread that names the argument, rank,
 * peer or step concerned.  Output parameters (ending in _p) are written only
 * on success.  A call that waits longer than WEFT_TIMEOUT seconds without
 * any progress returns WEFT_ERR_TIMEOUT; after an error on a communicator
 * its later calls fail too: destroy or abort it.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
/* weft_get_version() returns MAJOR * 10000 + MINOR * 100 + PATCH. */
#define WEFT_VERSION_CODE \
    (WEFT_VERSION_MAJOR * 10000 + WEFT_VERSION_MINOR * 100 + WEFT_VERSION_PATCH)

#define WEFT_UNIQUE_ID_BYTES 128
typedef struct {
    char internal[WEFT_UNIQUE_ID_BYTES];
} weft_unique_id_t;

typedef struct weft_comm *weft_comm_t;
typedef void *weft_stream_t; /* a cudaStream_t for device buffers; NULL for host buffers */

typedef enum {
    WEFT_OK = 0,
    WEFT_IN_PROGRESS = 1,
    WEFT_ERR_INVALID_ARGUMENT = -1, /* a bad argument: the message names it */
    WEFT_ERR_INVALID_USAGE = -2,    /* a call out of order, or ranks disagree */
    WEFT_ERR_SYSTEM = -3,           /* the OS refused: socket, shm, mmap */
    WEFT_ERR_INTERNAL = -4,         /* a weft bug: please report it */
    WEFT_ERR_REMOTE = -5,           /* a peer failed or closed its connection */
    WEFT_ERR_TIMEOUT = -6,          /* the deadline (WEFT_TIMEOUT) passed */
    WEFT_ERR_UNSUPPORTED = -7,      /* not available in this build or here */
    WEFT_ERR_NO_MEMORY = -8,
    WEFT_ERR_CUDA = -9
} weft_status_t;

typedef enum {
    WEFT_INT8,
    WEFT_UINT8,
    WEFT_INT32,
    WEFT_UINT32,
    WEFT_INT64,
    WEFT_UINT64,
    WEFT_FLOAT16,
    WEFT_BFLOAT16,
    WEFT_FLOAT32,
    WEFT_FLOAT64
} weft_datatype_t;
#define WEFT_NUM_DATATYPES 10

typedef enum { WEFT_SUM, WEFT_PROD, WEFT_MIN, WEFT_MAX, WEFT_AVG } weft_op_t;
#define WEFT_NUM_OPS 5

#define WEFT_SPLIT_NOCOLOR (-1)

/* --- versions, ids, communicators --------------------------------------- */

weft_status_t weft_get_version(int *version_p);

/* Creates the rendezvous point of a new communicator in this process and
 * describes it (address, port and a random secret) in *id_p.  Pass the id to
 * every rank (through MPI_Bcast, a file, ...); all of them then call
 * weft_comm_init_rank().  The rendezvous serves one communicator. */
weft_status_t weft_get_unique_id(weft_unique_id_t *id_p);

/* Collective over nranks ranks: joins the communicator as `rank`.  The
 * communicator drives the CUDA device current in the calling thread (none
 * where no GPU is usable). */
weft_status_t weft_comm_init_rank(int nranks, const weft_unique_id_t *id, int rank,
                                  weft_comm_t *comm_p);

/* --- per-communicator configuration (deadlines, checks) -------------------
 * A weft_config_t is versioned so that it can grow without breaking
 * programs built against an older weft.h: start from
 * WEFT_CONFIG_INITIALIZER (which fills size and version), then set fields. */

typedef enum {
    WEFT_CHECK_DEFAULT = 0, /* as WEFT_CHECK says (unset: WEFT_CHECK_HEADER) */
    WEFT_CHECK_OFF = 1,     /* no signatures: for measuring what they cost */
    WEFT_CHECK_HEADER = 2,  /* every message carries its call's signature and the
                               receiver compares it with its own (always on) */
    WEFT_CHECK_FULL = 3     /* also every rank's signature is compared with every
                               other's before each call moves data (WEFT_CHECK=1) */
} weft_check_t;

#define WEFT_CONFIG_VERSION 1
typedef struct {
    size_t size;          /* sizeof(weft_config_t) where the caller was compiled */
    unsigned int version; /* WEFT_CONFIG_VERSION */
    double timeout_s;     /* seconds without progress before WEFT_ERR_TIMEOUT, for
                             init and every call; <= 0: WEFT_TIMEOUT */
    int check;            /* a weft_check_t */
} weft_config_t;
#define WEFT_CONFIG_INITIALIZER \
    {sizeof(weft_config_t), WEFT_CONFIG_VERSION, 0.0, WEFT_CHECK_DEFAULT}

/* weft_comm_init_rank() with a configuration (NULL: the defaults).  A bad
 * field gives WEFT_ERR_INVALID_ARGUMENT naming it ("config->timeout_s"). */
weft_status_t weft_comm_init_rank_config(int nranks, const weft_unique_id_t *id, int rank,
                                         const weft_config_t *config, weft_comm_t *comm_p);

/* Creates nranks communicators in this process, one per rank, comms[i] being
 * rank i, which drives CUDA device devices[i] (NULL: each drives the device
 * current in its creating thread, or none).  Where no GPU is usable the
 * indices only name each rank's GPU in the topology (its rail). */
weft_status_t weft_comm_init_all(int nranks, const int *devices, weft_comm_t *comms);

/* Joins a communicator whose rank, size and rendezvous come from the
 * launcher: WEFT_RANK, WEFT_NRANKS and WEFT_ROOT (host:port of rank 0's
 * rendezvous), else OpenMPI (OMPI_COMM_WORLD_RANK/SIZE), Slurm
 * (SLURM_PROCID/SLURM_NTASKS) or torchrun (RANK/WORLD_SIZE/MASTER_ADDR/
 * MASTER_PORT).  Rank 0 opens the rendezvous. */
weft_status_t weft_comm_init_env(weft_comm_t *comm_p);

/* Collective over comm: ranks with the same color form a new communicator,
 * ordered by key then by their rank in comm.  color WEFT_SPLIT_NOCOLOR
 * joins none and gets *newcomm_p = NULL.  The new communicator has comm's
 * configuration (the weft_config_t comm was made with: its timeout and
 * check level, as comm resolved them). */
weft_status_t weft_comm_split(weft_comm_t comm, int color, int key, weft_comm_t *newcomm_p);

/* Collective over the survivors of comm: every rank of comm that is not in
 * excluded_ranks (nexcluded distinct ranks, not the caller's own) calls it
 * with the same set, and gets a new communicator of just them, ranked in
 * their order in comm.  For after a failure: comm may have failed (a peer
 * died, a call returned WEFT_ERR_REMOTE or WEFT_ERR_TIMEOUT) and the
 * excluded ranks may be dead, old rank 0 included; it also works on a
 * healthy comm (the excluded ranks then simply do not call it).  Every wait
 * is bounded by comm's timeout.  Survivors that disagree on the set fail
 * with WEFT_ERR_INVALID_USAGE naming both sets; a survivor that is gone
 * but not excluded fails it with WEFT_ERR_REMOTE or WEFT_ERR_TIMEOUT.
 * The new communicator has comm's configuration, as split's does.  comm
 * is left as it was: destroy it afterwards. */
weft_status_t weft_comm_shrink(weft_comm_t comm, const int *excluded_ranks, int nexcluded,
                               weft_comm_t *newcomm_p);

/* Frees the communicator.  Not collective; the ranks should have finished
 * their operations on it.  Stream-ordered calls still queued are let
 * finish first (within the timeout; then they fail and their streams go
 * on).  Later calls with the handle return WEFT_ERR_INVALID_USAGE. */
weft_status_t weft_comm_destroy(weft_comm_t comm);

/* Ends the communicator from any thread: a call in flight on it (in
 * another thread) returns an error within a progress round, the peers are
 * told (their calls with this rank fail with WEFT_ERR_REMOTE instead of
 * waiting for the timeout), and it is freed like weft_comm_destroy().
 * Stream-ordered calls not yet complete fail: their streams go on at once
 * (their outputs undefined). */
weft_status_t weft_comm_abort(weft_comm_t comm);

weft_status_t weft_comm_rank(weft_comm_t comm, int *rank_p);
weft_status_t weft_comm_size(weft_comm_t comm, int *size_p);

/* --- collectives -------------------------------------------------------- *
 * In-place works for all of them: sendbuf == recvbuf, and for all-gather and
 * reduce-scatter sendbuf is this rank's slice of recvbuf.  count 0 is a
 * valid no-op.  Counts of all-gather and reduce-scatter are per rank.  AVG
 * sums, then divides once by nranks at the end. */

weft_status_t weft_allreduce(const void *sendbuf, void *recvbuf, size_t count,
                             weft_datatype_t dt, weft_op_t op, weft_comm_t comm,
                             weft_stream_t stream);
weft_status_t weft_allgather(const void *sendbuf, void *recvbuf, size_t sendcount,
                             weft_datatype_t dt, weft_comm_t comm, weft_stream_t stream);
weft_status_t weft_reduce_scatter(const void *sendbuf, void *recvbuf, size_t recvcount,
                                  weft_datatype_t dt, weft_op_t op, weft_comm_t comm,
                                  weft_stream_t stream);
/* sendbuf is read on root only; recvbuf is written on every rank. */
weft_status_t weft_broadcast(const void *sendbuf, void *recvbuf, size_t count,
                             weft_datatype_t dt, int root, weft_comm_t comm,
                             weft_stream_t stream);
/* recvbuf is written on root only (and may be NULL elsewhere). */
weft_status_t weft_reduce(const void *sendbuf, void *recvbuf, size_t count, weft_datatype_t dt,
                          weft_op_t op, int root, weft_comm_t comm, weft_stream_t stream);
/* Point-to-point: messages between two ranks match in call order. */
weft_status_t weft_send(const void *buf, size_t count, weft_datatype_t dt, int peer,
                        weft_comm_t comm, weft_stream_t stream);
weft_status_t weft_recv(void *buf, size_t count, weft_datatype_t dt, int peer,
                        weft_comm_t comm, weft_stream_t stream);
weft_status_t weft_barrier(weft_comm_t comm);

/* Groups nest; the outermost weft_group_end() issues every queued call and
 * returns when all of them are complete (host buffers).  Calls of a group
 * run concurrently, except that calls on one communicator whose buffers
 * overlap (one writing what another reads or writes) run in call order.
 * A group of calls on device buffers returns once they are queued on
 * their streams; it may not mix host and device buffers, the calls of one
 * communicator must share one stream, and none may read device memory
 * that an earlier call of the group writes (WEFT_ERR_UNSUPPORTED). */
weft_status_t weft_group_start(void);
weft_status_t weft_group_end(void);

/* --- errors and introspection ------------------------------------------- */

const char *weft_status_string(weft_status_t status);
/* This thread's last error message: what, which rank/peer/step. */
const char *weft_last_error(void);

/* The error that failed comm, if any, into *status_p (WEFT_OK if none):
 * in particular one that a stream-ordered call met after it returned.
 * Does not wait.  When *status_p is an error, weft_last_error() holds its
 * message, with the original words of the rank that first saw it. */
weft_status_t weft_comm_get_async_error(weft_comm_t comm, weft_status_t *status_p);

/* The name of the algorithm that the last collective issued on comm used
 * ("ring", "rd", ...), for benchmarks and tests. */
const char *weft_comm_last_algo(weft_comm_t comm);

/* Bytes this rank has sent and received on comm, per transport class:
 * intra-node (shared memory) and inter-node (sockets). */
typedef struct {
    uint64_t intra_sent, intra_recv;
    uint64_t inter_sent, inter_recv;
} weft_comm_counters_t;
weft_status_t weft_comm_get_counters(weft_comm_t comm, weft_comm_counters_t *counters_p);

/* Writes the configuration table (every WEFT_* variable, its current value,
 * default and help) to a FILE * passed as void * so that this header needs
 * no <stdio.h>. */
void weft_config_print(void *file);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_H */
