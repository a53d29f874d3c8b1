/*
 * comm.h - the communicator and the internal calls of src/core.
 */
#ifndef WEFT_CORE_COMM_H
#define WEFT_CORE_COMM_H

#include "algo/algo.h"
#include "algo/tuner.h"
#include "bootstrap/bootstrap.h"
#include "core/diag.h"
#include "core/exec.h"
#include "core/plan.h"
#include "transport/transport.h"

#include <stdatomic.h>

enum { WEFT_TP_SHM, WEFT_TP_SOCKET, WEFT_NUM_TP };
enum { WEFT_RAIL_NAME_BYTES = 16 }; /* an interface name (IFNAMSIZ) */

struct weft_comm {
    int rank, nranks;
    weft_bootstrap_t *bs;
    uint8_t secret[WEFT_SECRET_BYTES];
    /* What weft_comm_init_rank_config was given, with timeout_s and check
     * as they were resolved (WEFT_TIMEOUT, WEFT_CHECK): split and shrink
     * give it to the communicators they make. */
    weft_config_t config;
    double timeout_s;
    uint64_t spin_ns; /* how long a waiting call polls before yielding */
    char host[WEFT_HOSTID_BYTES];
    int nnodes, local_rank, local_size; /* from the host ids */
    int ranks_here;                     /* ranks on this machine (same boot id) */
    weft_layout_t layout;
    int *peer_pid;
    char *peer_host;     /* nranks * WEFT_HOSTID_BYTES */
    uint8_t *peer_class; /* per peer: WEFT_TP_SHM or WEFT_TP_SOCKET */
    int device; /* the GPU this rank drives (CUDA device index), -1: none */
    char rail[WEFT_RAIL_NAME_BYTES]; /* this rank's network interface, "" if none */
    char *peer_rail;                 /* nranks * WEFT_RAIL_NAME_BYTES */
    weft_transport_t *tp[WEFT_NUM_TP];
    weft_tuner_t tuner;
    /* weft_comm_shrink's channel, which outlives the bootstrap star: this
     * rank's listener and every rank's address (packed, nranks x 24). */
    int shrink_fd;
    uint8_t *shrink_addrs;
    /* Execution state, reused from call to call. */
    weft_plan_t plans[WEFT_PLAN_CACHE]; /* single calls, by arguments */
    weft_plan_t group_plan;
    weft_plan_t *active; /* the plan being run */
    uint64_t plan_clock;
    void **base;
    uint32_t base_cap;
    void *scratch;
    size_t scratch_bytes;
    uint64_t seq; /* collectives issued */
    const char *last_algo;
    weft_status_t error; /* sticky: set when a collective failed */
    char error_msg[1024]; /* as long as an error message (util/log.c) */
    /* Calls in progress, and the abort/destroy flag they poll: a call that
     * sees it set ends at once.  Destroy waits for in_flight to drain
     * before it frees anything; the struct itself is never freed (it stays
     * as a tombstone), so a racing call can always read these two. */
    _Atomic int in_flight;
    _Atomic int dying;
    weft_diag_t diag; /* signatures, peers' progress, reports (diag.h) */
    /* Calls on device buffers: the proxy thread and the staging memory,
     * made at the first such call (core/proxy_device.h); NULL before. */
    struct weft_stream_calls *streams;
    /* The direct path of device all-reduce (core/direct.h): possible by
     * the peer exchange; set up at init where it works on every rank. */
    int direct_possible;
    struct weft_direct *direct;
    struct weft_comm *next_tombstone;
};

/* comm_peers.c: init phase 2, who is where (the cluster view). */
weft_status_t weft__comm_exchange_peers(struct weft_comm *comm, uint64_t deadline);

/* One call, as recorded for a group or run at once. */
struct weft_op_desc {
    struct weft_comm *comm;
    weft_coll_args_t args;
    const void *sendbuf;
    void *recvbuf;
    /* A call on device buffers (core/proxy_device.h): staged through
     * host memory by the proxy, in order on this stream. */
    void *stream;
    int on_device;
};

/* comm_registry.c: which pointers are live communicators. */
weft_status_t weft__comm_register(struct weft_comm *comm);
void weft__comm_unregister(struct weft_comm *comm);
/* WEFT_OK if comm is live; otherwise an error naming `comm`. */
weft_status_t weft__comm_check(struct weft_comm *comm);
/* Calls fn on every live communicator, none of which can be freed meanwhile. */
void weft__comm_foreach(void (*fn)(struct weft_comm *comm, void *arg), void *arg);

/* wait.c: one wait of a rank that found nothing to do, idle_ns into the
 * wait; returns 1 while it still polls (the caller then reads the clock
 * less often). */
int weft__wait_idle(struct weft_comm **comms, const uint8_t *finished, int n, uint64_t idle_ns,
                    uint64_t spin_ns);

/* run.c: runs ops (of one or several communicators) to completion. */
/* comm.c: d = a call of comm (rank, size, layout, the pipeline slice of
 * WEFT_CHUNK_BYTES), zeroed first: the plan cache compares descriptions
 * byte for byte, padding included.  Not on a stream (on_device 0). */
void weft__op_desc_init(weft_op_desc_t *d, struct weft_comm *comm, weft_coll_t coll,
                        uint64_t count, weft_datatype_t dt, weft_op_t op, int root,
                        const void *send, void *recv);
weft_status_t weft__run_ops(weft_op_desc_t *ops, int nops);

/* group.c */
int weft__group_active(void);
weft_status_t weft__group_enqueue(const weft_op_desc_t *op);

/* comm.c */
weft_status_t weft__comm_create(int nranks, const weft_unique_id_t *id, int rank,
                                struct weft_comm **comm_p);
/* The same with a validated configuration (NULL: the defaults). */
weft_status_t weft__comm_create_config(int nranks, const weft_unique_id_t *id, int rank,
                                       const weft_config_t *config, struct weft_comm **comm_p);
/* The same for a rank that drives GPU `device` (weft_comm_init_all, and
 * the children of split and shrink), or WEFT_DEVICE_CURRENT: the calling
 * thread's CUDA device where a GPU is usable, else none. */
#define WEFT_DEVICE_CURRENT (-2)
weft_status_t weft__comm_create_device(int nranks, const weft_unique_id_t *id, int rank,
                                       const weft_config_t *config, int device,
                                       struct weft_comm **comm_p);
/* api_config.c: a caller's validated config (NULL: the defaults) as this
 * library's weft_config_t: fields the caller's older struct lacks keep
 * their defaults. */
void weft__config_copy(const weft_config_t *in, weft_config_t *out);
/* Ends comm: marks it dying, waits for calls in flight to leave (they see
 * the flag within one progress round), tells the peers if `abort`, frees
 * its resources and keeps the struct as a tombstone. */
weft_status_t weft__comm_end(struct weft_comm *comm, int abort);
/* comm_model.c: the cost model the tuner prices schedules with, agreed
 * by all ranks (collective). */
weft_status_t weft__comm_cost_model(struct weft_comm *comm, uint64_t deadline,
                                    weft_cost_model_t *m_p);

/* Counts a call in; fails if comm is being destroyed or aborted. */
weft_status_t weft__comm_enter(struct weft_comm *comm);
void weft__comm_leave(struct weft_comm *comm);

#endif
