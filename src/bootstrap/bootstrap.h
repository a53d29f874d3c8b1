/*
 * bootstrap.h - out-of-band rendezvous of the ranks of a communicator.
 *
 * A root (a thread started by weft__bootstrap_root_start() in the process
 * that creates the unique id) accepts one TCP connection per rank, checks
 * that each presents the id's secret, collects every rank's bootstrap
 * address and sends the full table back; then it exits.  From then on the
 * ranks talk among themselves: rank 0 of the communicator is the hub of a
 * star for allgather, broadcast and barrier.  These are for setup (a few
 * kilobytes), not for data.
 *
 * Every message on a bootstrap connection starts with a weft__wire_hdr_t
 * (magic, version, type, length) that is checked before the body is read;
 * lengths are bounded; a connection that fails the check is closed and
 * logged, never trusted.
 */
#ifndef WEFT_BOOTSTRAP_BOOTSTRAP_H
#define WEFT_BOOTSTRAP_BOOTSTRAP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <weft.h>

#define WEFT_SECRET_BYTES 32

#define WEFT_UID_MAGIC 0x64697577u /* "wuid" little-endian */
#define WEFT_UID_VERSION 1

/* What a weft_unique_id_t holds (encoded in its 128 bytes, layout in uid.c).
 * encode writes WEFT_UID_MAGIC/VERSION whatever magic and version say;
 * decode fills them in. */
typedef struct {
    uint32_t magic;
    uint32_t version;
    struct sockaddr_storage root_addr; /* IPv4 or IPv6, port set */
    uint8_t secret[WEFT_SECRET_BYTES];
} weft__uid_t;

weft_status_t weft__uid_encode(const weft__uid_t *uid, weft_unique_id_t *id_p);
/* Checks magic, version, address family and length: garbage bytes give
 * WEFT_ERR_INVALID_ARGUMENT naming "id". */
weft_status_t weft__uid_decode(const weft_unique_id_t *id, weft__uid_t *uid_p);

/* Starts a root on the address of the interface chosen by
 * WEFT_SOCKET_IFNAME (port 0: any), with a fresh random secret.  The root
 * thread serves one communicator, then exits (or when its deadline of
 * WEFT_TIMEOUT passes). */
weft_status_t weft__bootstrap_root_start(weft_unique_id_t *id_p);

/* Starts a root listening on a given host:port with a given secret; for
 * weft_comm_init_env, where rank 0 opens the rendezvous that the launcher
 * named. */
weft_status_t weft__bootstrap_root_start_at(const struct sockaddr_storage *addr,
                                            const uint8_t secret[WEFT_SECRET_BYTES],
                                            weft_unique_id_t *id_p);

/* Root threads still running in this process (each ends when its
 * communicator has formed or at its deadline); for tests. */
int weft__bootstrap_roots_live(void);

typedef struct weft_bootstrap weft_bootstrap_t;

/* Joins as `rank` of `nranks`; returns once every rank has joined (or the
 * deadline, an absolute weft__now_ns() value, passes: WEFT_ERR_TIMEOUT). */
weft_status_t weft__bootstrap_init(const weft_unique_id_t *id, int rank, int nranks,
                                   uint64_t deadline_ns, weft_bootstrap_t **bs_p);

/* Collectives over the bootstrap; every rank calls them in the same order.
 * Each fails with WEFT_ERR_REMOTE if a peer is gone and WEFT_ERR_TIMEOUT at
 * the deadline. */
weft_status_t weft__bootstrap_allgather(weft_bootstrap_t *bs, const void *mine, void *all,
                                        size_t bytes_per_rank, uint64_t deadline_ns);
weft_status_t weft__bootstrap_bcast(weft_bootstrap_t *bs, void *buf, size_t bytes, int root,
                                    uint64_t deadline_ns);
weft_status_t weft__bootstrap_barrier(weft_bootstrap_t *bs, uint64_t deadline_ns);

/* The communicator's secret, for transports that authenticate their own
 * connections with it. */
const uint8_t *weft__bootstrap_secret(const weft_bootstrap_t *bs);

void weft__bootstrap_destroy(weft_bootstrap_t *bs);

/* --- where rank, size and root come from for weft_comm_init_env ---------- */

typedef struct {
    int rank, nranks;
    struct sockaddr_storage root_addr; /* where rank 0 listens */
    uint8_t secret[WEFT_SECRET_BYTES];
    char source[32]; /* "WEFT_*", "OpenMPI", "Slurm" or "torchrun" */
} weft__launch_info_t;

/* Reads WEFT_RANK/WEFT_NRANKS/WEFT_ROOT, else OpenMPI, Slurm or torchrun
 * variables.  An error names the variable that is missing or malformed. */
weft_status_t weft__launch_info(weft__launch_info_t *info_p);
/* The same from any set of variables: get(ctx, name) returns a variable's
 * text or NULL.  resolve 0 checks a host:port's syntax without looking the
 * name up (root_addr is then left zero); for the fuzzer and tests. */
typedef const char *(*weft__env_get_fn)(void *ctx, const char *name);
weft_status_t weft__launch_info_from(weft__env_get_fn get, void *ctx, int resolve,
                                     weft__launch_info_t *info_p);

/* --- node identity ------------------------------------------------------ */

#define WEFT_HOSTID_BYTES 64
/* WEFT_HOSTID if set, else hostname + boot id; NUL-terminated. */
void weft__host_id(char out[WEFT_HOSTID_BYTES]);
/* The running kernel (its boot id), whatever WEFT_HOSTID says: ranks with
 * equal machine ids share CPUs, even on different emulated nodes. */
void weft__machine_id(char out[WEFT_HOSTID_BYTES]);

#endif
