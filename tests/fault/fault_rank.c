/*
 * fault_rank.c - one rank of a fault-injection trial (fault_inject.h).
 *
 * Every rank joins, then runs all-reduces of t->count floats (with a short
 * pause between them, so that "between calls" is a real place) until one
 * fails; it records the status and when, and leaves.  The victim injects
 * the trial's fault at its point:
 *   kill       SIGKILL: from a timer during init or during a call, or
 *              right after call k returned;
 *   sockclose  shutdown() of one of its transport sockets -- one that
 *              appeared during its first call, which the bootstrap's are
 *              not -- from a timer during a call or after call k; the
 *              victim goes on calling and must fail too;
 *   stop       SIGSTOP, as for kill; the runner kills it once the others
 *              are done (they must fail through the timeout or a peer);
 *   abort      a second thread calls weft_comm_abort during call k; the
 *              victim records how long its in-flight call took to return,
 *              and how many fds are left once abort returned and the thread
 *              was joined (0: everything was freed).
 * The handlers only store to shared memory and raise a signal or call
 * shutdown(), all async-signal-safe.
 */
#define _GNU_SOURCE
#include "fault/fault_inject.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

enum { MAX_CALLS = 400, MAX_FDS = FAULT_MAX_FDS };

static fault_slot_t *self;
static const fault_trial_t *trial;
static volatile int chosen_fd = -1;

static void strike(int sig)
{
    (void)sig;
    self->t_fault = fu_now();
    self->fault_phase = self->phase;
    if (trial->kind == FK_KILL)
        raise(SIGKILL);
    else if (trial->kind == FK_STOP)
        raise(SIGSTOP);
    else if (trial->kind == FK_SOCKCLOSE && chosen_fd >= 0)
        shutdown(chosen_fd, SHUT_RDWR);
}

static void arm(double seconds)
{
    struct itimerval it = {{0, 0}, {0, (suseconds_t)(seconds * 1e6) + 1}};
    signal(SIGALRM, strike);
    setitimer(ITIMER_REAL, &it, NULL);
}

int fault_open_fds(unsigned char *sockets)
{
    DIR *d = opendir("/proc/self/fd");
    int count = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || fd == dirfd(d))
            continue;
        count++;
        if (sockets != NULL && fd < MAX_FDS && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
            sockets[fd] = 1;
    }
    if (d != NULL)
        closedir(d);
    return count;
}

/* A socket that is open now but was not in `before`: one the transport
 * opened during the first call. */
static int pick_transport_socket(const unsigned char *before, unsigned seed)
{
    unsigned char now[MAX_FDS] = {0};
    int fresh[MAX_FDS], n = 0;
    fault_open_fds(now);
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (now[fd] && !before[fd])
            fresh[n++] = fd;
    return n > 0 ? fresh[seed % (unsigned)n] : -1;
}

typedef struct {
    weft_comm_t comm;
    double est; /* mean call time so far */
} abort_arg_t;

static void *abort_thread(void *p)
{
    abort_arg_t *a = p;
    double give_up = fu_now() + 60;
    while (!(self->calls >= trial->calls_before && self->phase == PH_CALL) && fu_now() < give_up)
        usleep(100);
    usleep((useconds_t)(trial->delay_frac * a->est * 1e6));
    self->fault_phase = self->phase;
    self->t_fault = fu_now();
    weft_comm_abort(a->comm);
    return NULL;
}

static void inject(weft_comm_t comm, const unsigned char *sockets_before, double est,
                   pthread_t *abort_tid, abort_arg_t *abort_arg)
{
    if (trial->kind == FK_SOCKCLOSE)
        chosen_fd = pick_transport_socket(sockets_before, (unsigned)trial->nranks * 7919u);
    if (trial->kind == FK_ABORT) {
        *abort_arg = (abort_arg_t){comm, est};
        pthread_create(abort_tid, NULL, abort_thread, abort_arg);
    } else if (trial->point == FP_BETWEEN) {
        strike(0);
    } else {
        arm(trial->delay_frac * est);
    }
}

static void record(weft_status_t st)
{
    self->t_error = fu_now();
    self->status = st;
    self->outcome = 1;
    snprintf(self->msg, sizeof(self->msg), "%s", weft_last_error());
}

void fault_rank_main(const fault_trial_t *t, int rank, const weft_unique_id_t *id,
                     fault_slot_t *slots)
{
    trial = t;
    self = &slots[rank];
    int victim = rank == t->victim, fds_before = fault_open_fds(NULL);
    if (t->transport == FT_NODES)
        fu_set_node(rank);
    if (victim && t->point == FP_INIT)
        arm(t->delay_frac * 0.05);
    weft_comm_t comm;
    self->phase = PH_INIT;
    weft_status_t st = weft_comm_init_rank(t->nranks, id, rank, &comm);
    if (st != WEFT_OK) {
        record(st);
        _exit(0);
    }
    self->phase = PH_BETWEEN;
    float *buf = calloc(t->count, sizeof(float));
    unsigned char sockets[MAX_FDS] = {0};
    fault_open_fds(sockets);
    pthread_t abort_tid;
    abort_arg_t abort_arg;
    double spent = 0;
    for (int i = 0; i < MAX_CALLS; i++) {
        if (victim && t->point != FP_INIT && i == t->calls_before)
            inject(comm, sockets, spent / (i > 0 ? i : 1), &abort_tid, &abort_arg);
        double t0 = fu_now();
        self->phase = PH_CALL;
        st = weft_allreduce(buf, buf, t->count, WEFT_FLOAT32, WEFT_MAX, comm, NULL);
        self->phase = PH_BETWEEN;
        if (st != WEFT_OK)
            break;
        spent += fu_now() - t0;
        self->calls = i + 1;
        usleep(500);
    }
    self->phase = PH_DONE;
    if (st == WEFT_OK) {
        self->outcome = 2;
        weft_comm_destroy(comm);
        _exit(0);
    }
    record(st);
    if (victim && t->kind == FK_ABORT) {
        self->abort_wait = self->t_error - self->t_fault;
        pthread_join(abort_tid, NULL);
        free(buf);
        self->leaked_fds = fault_open_fds(NULL) - fds_before;
        _exit(0);
    }
    weft_comm_abort(comm);
    _exit(0);
}
