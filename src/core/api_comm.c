/*
 * api_comm.c - the public communicator calls: ids, init (by id, all in
 * one process, from the launcher's environment), destroy, abort, queries.
 * Each validates its arguments first and names the bad one.
 */
#include "core/comm.h"
#include "cuda/probe.h"
#include "util/config.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

WEFT_EXPORT weft_status_t weft_get_version(int *version_p)
{
    weft__clear_error();
    if (version_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "version_p is NULL");
    *version_p = WEFT_VERSION_CODE;
    return WEFT_OK;
}

WEFT_EXPORT weft_status_t weft_get_unique_id(weft_unique_id_t *id_p)
{
    weft__clear_error();
    if (id_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "id_p is NULL");
    return weft__bootstrap_root_start(id_p);
}

/* The checks and the work are in api_config.c. */
WEFT_EXPORT weft_status_t weft_comm_init_rank(int nranks, const weft_unique_id_t *id, int rank,
                                              weft_comm_t *comm_p)
{
    return weft_comm_init_rank_config(nranks, id, rank, NULL, comm_p);
}

typedef struct {
    int nranks, rank, device; /* device: WEFT_DEVICE_CURRENT when none was named */
    const weft_unique_id_t *id;
    weft_comm_t comm;
    weft_status_t status;
    char error[256];
} init_job_t;

static void *init_thread(void *arg)
{
    init_job_t *job = arg;
    job->status = WEFT_OK;
    if (job->device != WEFT_DEVICE_CURRENT)
        job->status = weft__cuda_use_device(job->device);
    if (job->status == WEFT_OK)
        job->status = weft__comm_create_device(job->nranks, job->id, job->rank, NULL,
                                               job->device, &job->comm);
    if (job->status != WEFT_OK)
        snprintf(job->error, sizeof(job->error), "%s", weft_last_error());
    return NULL;
}

WEFT_EXPORT weft_status_t weft_comm_init_all(int nranks, const int *devices, weft_comm_t *comms)
{
    weft__clear_error();
    if (comms == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "comms is NULL");
    if (nranks < 1)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "nranks is %d; it must be at least 1",
                           nranks);
    for (int r = 0; devices != NULL && r < nranks; r++) {
        if (devices[r] < 0)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "devices[%d] is %d; a CUDA device index is at least 0", r,
                               devices[r]);
    }
    if (devices != NULL && weft__cuda_probe() == 0)
        WEFT_INFO("weft_comm_init_all: no usable GPU here; devices[] name each rank's GPU in "
                  "the topology only");
    weft_unique_id_t id;
    weft_status_t st = weft_get_unique_id(&id);
    if (st != WEFT_OK)
        return st;
    init_job_t *jobs = calloc((size_t)nranks, sizeof(*jobs));
    pthread_t *threads = calloc((size_t)nranks, sizeof(*threads));
    if (jobs == NULL || threads == NULL) {
        free(jobs);
        free(threads);
        return weft__error(WEFT_ERR_NO_MEMORY, "weft_comm_init_all of %d ranks", nranks);
    }
    /* Joining blocks until every rank has joined: one thread per rank. */
    int started = 1;
    for (int r = 0; r < nranks; r++)
        jobs[r] = (init_job_t){nranks, r, devices != NULL ? devices[r] : WEFT_DEVICE_CURRENT,
                               &id, NULL, WEFT_OK, ""};
    for (int r = 1; r < nranks; r++, started++) {
        if (pthread_create(&threads[r], NULL, init_thread, &jobs[r]) != 0) {
            jobs[r].status = weft__error(WEFT_ERR_SYSTEM, "could not start a thread for rank %d",
                                         r);
            break;
        }
    }
    init_thread(&jobs[0]);
    for (int r = 1; r < started; r++)
        pthread_join(threads[r], NULL);
    st = WEFT_OK;
    for (int r = 0; r < nranks; r++) {
        if (jobs[r].status != WEFT_OK && st == WEFT_OK)
            st = weft__error(jobs[r].status, "weft_comm_init_all: rank %d: %s", r,
                             jobs[r].error[0] ? jobs[r].error : "could not start");
    }
    for (int r = 0; r < nranks; r++) {
        if (st == WEFT_OK)
            comms[r] = jobs[r].comm;
        else if (jobs[r].comm != NULL)
            weft_comm_destroy(jobs[r].comm);
    }
    free(jobs);
    free(threads);
    return st;
}

WEFT_EXPORT weft_status_t weft_comm_init_env(weft_comm_t *comm_p)
{
    weft__clear_error();
    if (comm_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "comm_p is NULL");
    weft__launch_info_t info;
    weft_status_t st = weft__launch_info(&info);
    if (st != WEFT_OK)
        return st;
    weft_unique_id_t id;
    if (info.rank == 0) {
        st = weft__bootstrap_root_start_at(&info.root_addr, info.secret, &id);
    } else {
        weft__uid_t uid;
        memset(&uid, 0, sizeof(uid));
        uid.root_addr = info.root_addr;
        memcpy(uid.secret, info.secret, WEFT_SECRET_BYTES);
        st = weft__uid_encode(&uid, &id);
    }
    if (st != WEFT_OK)
        return st;
    WEFT_INFO("weft_comm_init_env: rank %d of %d from %s", info.rank, info.nranks, info.source);
    return weft__comm_create(info.nranks, &id, info.rank, comm_p);
}

WEFT_EXPORT weft_status_t weft_comm_destroy(weft_comm_t comm)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    return weft__comm_end(comm, 0);
}

/* From any thread: a call in flight on comm (another thread's) returns
 * within a progress round; the peers are told, so that theirs fail too. */
WEFT_EXPORT weft_status_t weft_comm_abort(weft_comm_t comm)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    return weft__comm_end(comm, 1);
}

WEFT_EXPORT weft_status_t weft_comm_rank(weft_comm_t comm, int *rank_p)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    if (rank_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "rank_p is NULL");
    *rank_p = comm->rank;
    return WEFT_OK;
}

WEFT_EXPORT weft_status_t weft_comm_size(weft_comm_t comm, int *size_p)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    if (size_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "size_p is NULL");
    *size_p = comm->nranks;
    return WEFT_OK;
}

WEFT_EXPORT const char *weft_comm_last_algo(weft_comm_t comm)
{
    if (weft__comm_check(comm) != WEFT_OK)
        return "?";
    return comm->last_algo != NULL ? comm->last_algo : "none";
}

WEFT_EXPORT weft_status_t weft_comm_get_counters(weft_comm_t comm, weft_comm_counters_t *c_p)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    if (c_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "counters_p is NULL");
    weft_tcounters_t shm = {0, 0}, sock = {0, 0};
    if (comm->tp[WEFT_TP_SHM] != NULL)
        comm->tp[WEFT_TP_SHM]->ops->counters(comm->tp[WEFT_TP_SHM], &shm);
    if (comm->tp[WEFT_TP_SOCKET] != NULL)
        comm->tp[WEFT_TP_SOCKET]->ops->counters(comm->tp[WEFT_TP_SOCKET], &sock);
    *c_p = (weft_comm_counters_t){shm.sent, shm.recv, sock.sent, sock.recv};
    return WEFT_OK;
}
