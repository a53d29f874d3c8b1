/*
 * mr_harness.h - running one test body on every rank of a communicator,
 * the ranks being:
 *  - "threads": one thread per rank, each joining with weft_comm_init_rank;
 *  - "group":   weft_comm_init_all in one process, one thread driving every
 *               rank (the body gets all of them and issues their calls
 *               between weft_group_start and weft_group_end);
 *  - "fork":    one process per rank, forked after the parent made the id
 *               (the parent keeps the rendezvous thread);
 *  - "exec":    one process per rank, this same binary re-executed with
 *               WEFT_RANK/WEFT_NRANKS/WEFT_ROOT/WEFT_SECRET set (or, with
 *               MR_LAUNCHER=ompi or torchrun, the variables those
 *               launchers set), joining with weft_comm_init_env.
 * A body returns its number of failures.  Processes are waited for with a
 * deadline and killed if they outlive it, so that nothing is left behind.
 */
#ifndef MR_HARNESS_H
#define MR_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <weft.h>

typedef struct mr_rank {
    int rank, nranks;
    weft_comm_t comm;
    const char *mode;
    int failures;
    void *user; /* the body's per-rank state */
} mr_rank_t;

/* Runs on k ranks (k == 1 except in group mode, where k == nranks). */
typedef int (*mr_body_fn)(mr_rank_t **ranks, int k, void *arg);

/* Process exit codes of a rank: 0 pass, 1 failures, 2 setup failed. */
enum { MR_EXIT_OK = 0, MR_EXIT_FAIL = 1, MR_EXIT_SETUP = 2 };

/* Runs fn in `mode` on n ranks; returns the number of failures (a rank
 * that could not start or did not finish counts as one).  argv is this
 * program's, for exec mode; extra_env, if not NULL, gives each exec'd rank
 * more "NAME=value" strings: extra_env(rank) returns a NULL-terminated
 * array. */
typedef const char *const *(*mr_env_fn)(int rank, int nranks);
int mr_run(const char *mode, int n, mr_body_fn fn, void *arg, char **argv, mr_env_fn extra_env);

/* In an exec'd rank (MR_CHILD is set): joins through weft_comm_init_env,
 * runs fn and returns the exit code.  Returns -1 if this is not a child. */
int mr_exec_child(mr_body_fn fn, void *arg);
int mr_is_exec_child(void);

/* The deadline for a whole multi-process run (MR_PROC_TIMEOUT, default
 * 240 s); processes still running then are killed with SIGKILL. */
double mr_proc_timeout(void);

/* Waits for n processes until timeout_s; each one's wait status goes to
 * status[i] (-1 if it had to be killed) and the seconds it took to
 * elapsed[i] (may be NULL).  Returns how many had to be killed. */
int mr_wait_procs(const pid_t *pids, int n, double timeout_s, int *status, double *elapsed);

/* Forks n ranks first and makes the unique id afterwards, handing it to
 * each child through a pipe: weft_get_unique_id starts a thread, and a
 * child forked while another thread holds a lock (the allocator's, stdio's)
 * can deadlock on its first call.  In a child returns 1, with *id and
 * *rank_p set; in the parent 0 (or -1 if the id could not be made: the
 * children then exit), with *rank_p the number of children started. */
int mr_fork_ranks(int n, pid_t *pids, weft_unique_id_t *id, int *rank_p);

/* Kills the process with SIGALRM's default action after `seconds` unless
 * disarmed with 0: a test that hangs fails instead of stalling CI. */
void mr_watchdog(unsigned seconds);

/* Memory shared with forked children. */
void *mr_shared_alloc(size_t bytes);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int mr_free_port(void);

double mr_now(void);

/* Reports a failure of rank r (counted on r); prints at most a limited
 * number per process, then only counts. */
void mr_fail(mr_rank_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports and ends the process at once: for a collective that returned an
 * error, after which the other ranks could only wait for the timeout. */
void mr_fatal(mr_rank_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* A buffer with guard bytes on both sides. */
typedef struct {
    unsigned char *mem;
    size_t bytes;
} mr_gbuf_t;
#define MR_GBUF_GUARD 256
/* Allocates bytes (+ guards), fills the data with `fill`; returns it. */
void *mr_gbuf_alloc(mr_gbuf_t *g, size_t bytes, unsigned char fill);
/* How many guard bytes changed (0: intact). */
int mr_gbuf_guards_bad(const mr_gbuf_t *g);
void mr_gbuf_free(mr_gbuf_t *g);

/* Parses "1,2,8" into out[] (at most max); returns how many, -1 if bad. */
int mr_parse_int_list(const char *text, long *out, int max);

#endif
