/*
 * mr_harness.c - ranks as threads, as one group-driving thread, as forked
 * or exec'd processes (see mr_harness.h).
 */
#define _GNU_SOURCE
#include "multirank/mr_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_PRINTED 40

static atomic_int printed;

double mr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void vreport(const char *kind, mr_rank_t *r, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof(line), "%s [%s n=%d rank %d] ", kind, r ? r->mode : "-",
                     r ? r->nranks : 0, r ? r->rank : -1);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    size_t len = strlen(line);
    if (len + 1 < sizeof(line)) {
        line[len++] = '\n';
        line[len] = '\0';
    }
    /* One write per line, so that ranks' lines do not interleave. */
    if (write(STDERR_FILENO, line, len) < 0)
        return;
}

void mr_fail(mr_rank_t *r, const char *fmt, ...)
{
    if (r != NULL)
        r->failures++;
    int k = atomic_fetch_add(&printed, 1);
    if (k > MAX_PRINTED)
        return;
    if (k == MAX_PRINTED) {
        fprintf(stderr, "(further failures are counted, not printed)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vreport("FAIL", r, fmt, ap);
    va_end(ap);
}

void mr_fatal(mr_rank_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("FATAL", r, fmt, ap);
    va_end(ap);
    fflush(stdout);
    _exit(MR_EXIT_FAIL);
}

static void on_alarm(int sig)
{
    static const char msg[] = "FATAL watchdog: the test ran past its time limit (a hang?)\n";
    (void)sig;
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
        _exit(MR_EXIT_FAIL);
    _exit(MR_EXIT_FAIL);
}

void mr_watchdog(unsigned seconds)
{
    signal(SIGALRM, on_alarm);
    alarm(seconds);
}

void *mr_shared_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int mr_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

double mr_proc_timeout(void)
{
    const char *t = getenv("MR_PROC_TIMEOUT");
    double v = t != NULL ? atof(t) : 0;
    return v > 0 ? v : 240;
}

int mr_parse_int_list(const char *text, long *out, int max)
{
    int k = 0;
    const char *p = text;
    while (*p != '\0') {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || k == max)
            return -1;
        out[k++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            return -1;
    }
    return k;
}

void *mr_gbuf_alloc(mr_gbuf_t *g, size_t bytes, unsigned char fill)
{
    g->bytes = bytes;
    g->mem = malloc(bytes + 2 * MR_GBUF_GUARD);
    if (g->mem == NULL) {
        fprintf(stderr, "FATAL out of memory (%zu bytes)\n", bytes);
        _exit(MR_EXIT_FAIL);
    }
    memset(g->mem, 0xc5, MR_GBUF_GUARD);
    memset(g->mem + MR_GBUF_GUARD, fill, bytes);
    memset(g->mem + MR_GBUF_GUARD + bytes, 0xc5, MR_GBUF_GUARD);
    return g->mem + MR_GBUF_GUARD;
}

int mr_gbuf_guards_bad(const mr_gbuf_t *g)
{
    int bad = 0;
    for (size_t i = 0; i < MR_GBUF_GUARD; i++) {
        bad += g->mem[i] != 0xc5;
        bad += g->mem[MR_GBUF_GUARD + g->bytes + i] != 0xc5;
    }
    return bad;
}

void mr_gbuf_free(mr_gbuf_t *g)
{
    free(g->mem);
    g->mem = NULL;
}

/* --- processes ------------------------------------------------------------ */

int mr_wait_procs(const pid_t *pids, int n, double timeout_s, int *status, double *elapsed)
{
    double start = mr_now(), deadline = start + timeout_s;
    int left = n, killed = 0;
    char *done = calloc((size_t)n, 1);
    while (left > 0) {
        for (int i = 0; i < n; i++) {
            int ws;
            if (done[i] || waitpid(pids[i], &ws, WNOHANG) != pids[i])
                continue;
            done[i] = 1;
            left--;
            status[i] = ws;
            if (elapsed != NULL)
                elapsed[i] = mr_now() - start;
        }
        if (left == 0 || mr_now() > deadline)
            break;
        struct timespec nap = {0, 2000000};
        nanosleep(&nap, NULL);
    }
    for (int i = 0; i < n; i++) {
        if (done[i])
            continue;
        kill(pids[i], SIGKILL);
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
        status[i] = -1;
        if (elapsed != NULL)
            elapsed[i] = mr_now() - start;
        killed++;
    }
    free(done);
    return killed;
}

/* Counts the ranks that did not exit 0, saying why. */
static int proc_failures(const char *mode, const pid_t *pids, const int *status, int n)
{
    int bad = 0;
    for (int r = 0; r < n; r++) {
        int ws = status[r];
        if (ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
            continue;
        bad++;
        if (ws == -1)
            fprintf(stderr, "FAIL [%s n=%d rank %d] pid %d did not finish within %.0f s: killed\n",
                    mode, n, r, (int)pids[r], mr_proc_timeout());
        else if (WIFSIGNALED(ws))
            fprintf(stderr, "FAIL [%s n=%d rank %d] pid %d died of signal %d (%s)\n", mode, n, r,
                    (int)pids[r], WTERMSIG(ws), strsignal(WTERMSIG(ws)));
        else
            fprintf(stderr, "FAIL [%s n=%d rank %d] pid %d exited with %d\n", mode, n, r,
                    (int)pids[r], WEXITSTATUS(ws));
    }
    return bad;
}

static int run_body(mr_rank_t *rk, mr_body_fn fn, void *arg)
{
    mr_rank_t *one[1] = {rk};
    int f = fn(one, 1, arg);
    weft_status_t st = weft_comm_destroy(rk->comm);
    if (st != WEFT_OK)
        mr_fail(rk, "weft_comm_destroy: %s: %s", weft_status_string(st), weft_last_error());
    return f + (st != WEFT_OK);
}

int mr_fork_ranks(int n, pid_t *pids, weft_unique_id_t *id, int *rank_p)
{
    int (*fds)[2] = calloc((size_t)n, sizeof(*fds)), started = 0;
    if (fds == NULL)
        return -1;
    fflush(NULL);
    for (; started < n; started++) {
        if (pipe(fds[started]) != 0)
            break;
        pid_t pid = fork();
        if (pid < 0) {
            close(fds[started][0]);
            close(fds[started][1]);
            break;
        }
        if (pid == 0) { /* the child: wait for the id */
            for (int i = 0; i <= started; i++)
                close(fds[i][1]);
            ssize_t got = read(fds[started][0], id, sizeof(*id));
            if (got != (ssize_t)sizeof(*id))
                _exit(MR_EXIT_SETUP);
            close(fds[started][0]);
            free(fds);
            *rank_p = started;
            return 1;
        }
        close(fds[started][0]);
        pids[started] = pid;
    }
    int ok = weft_get_unique_id(id) == WEFT_OK;
    if (!ok)
        fprintf(stderr, "FAIL weft_get_unique_id: %s\n", weft_last_error());
    for (int i = 0; i < started; i++) {
        if (ok && write(fds[i][1], id, sizeof(*id)) != (ssize_t)sizeof(*id))
            ok = 0;
        close(fds[i][1]);
    }
    free(fds);
    *rank_p = started;
    return ok ? 0 : -1;
}

static int run_fork(int n, mr_body_fn fn, void *arg)
{
    weft_unique_id_t id;
    pid_t *pids = calloc((size_t)n, sizeof(*pids));
    int *status = calloc((size_t)n, sizeof(*status));
    int started = 0, rc = mr_fork_ranks(n, pids, &id, &started);
    if (rc == 1) { /* a rank */
        mr_rank_t rk = {started, n, NULL, "fork", 0, NULL};
        weft_status_t st = weft_comm_init_rank(n, &id, started, &rk.comm);
        if (st != WEFT_OK) {
            mr_fail(&rk, "weft_comm_init_rank: %s: %s", weft_status_string(st),
                    weft_last_error());
            _exit(MR_EXIT_SETUP);
        }
        int f = run_body(&rk, fn, arg);
        fflush(NULL);
        _exit(f ? MR_EXIT_FAIL : MR_EXIT_OK);
    }
    int bad = rc < 0;
    if (started < n) {
        fprintf(stderr, "FAIL [fork n=%d] fork: %s\n", n, strerror(errno));
        bad++;
    }
    mr_wait_procs(pids, started, mr_proc_timeout(), status, NULL);
    bad += proc_failures("fork", pids, status, started);
    free(pids);
    free(status);
    return bad;
}

/* environ without the variables the launcher sets, plus `add`. */
static char **child_env(const char *const *add, int nadd)
{
    static const char *const drop[] = {"WEFT_RANK=",
                                       "WEFT_NRANKS=",
                                       "WEFT_ROOT=",
                                       "WEFT_SECRET=",
                                       "MR_CHILD=",
                                       "OMPI_COMM_WORLD_RANK=",
                                       "OMPI_COMM_WORLD_SIZE=",
                                       "OMPI_COMM_WORLD_LOCAL_SIZE=",
                                       "OMPI_MCA_ess_base_jobid=",
                                       "RANK=",
                                       "WORLD_SIZE=",
                                       "MASTER_ADDR=",
                                       "MASTER_PORT=",
                                       "TORCHELASTIC_RUN_ID="};
    int n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc((size_t)(n + nadd + 1), sizeof(char *));
    int k = 0;
    for (int i = 0; i < n; i++) {
        int keep = 1;
        for (size_t d = 0; d < sizeof(drop) / sizeof(drop[0]); d++)
            keep &= strncmp(environ[i], drop[d], strlen(drop[d])) != 0;
        for (int a = 0; a < nadd && keep; a++) {
            const char *eq = strchr(add[a], '=');
            keep = eq == NULL || strncmp(environ[i], add[a], (size_t)(eq - add[a] + 1)) != 0;
        }
        if (keep)
            env[k++] = environ[i];
    }
    for (int a = 0; a < nadd; a++)
        env[k++] = (char *)add[a];
    env[k] = NULL;
    return env;
}

/* What a launcher would set for `rank`: MR_LAUNCHER=weft (WEFT_RANK,
 * WEFT_NRANKS, WEFT_ROOT, WEFT_SECRET; the default), ompi (OpenMPI's
 * variables and job id: weft derives the port) or torchrun (RANK,
 * WORLD_SIZE, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RUN_ID). */
static int launcher_env(int rank, int n, int port, const char *job, char vars[6][96])
{
    const char *style = getenv("MR_LAUNCHER") ? getenv("MR_LAUNCHER") : "weft";
    if (strcmp(style, "ompi") == 0) {
        snprintf(vars[0], 96, "OMPI_COMM_WORLD_RANK=%d", rank);
        snprintf(vars[1], 96, "OMPI_COMM_WORLD_SIZE=%d", n);
        snprintf(vars[2], 96, "OMPI_COMM_WORLD_LOCAL_SIZE=%d", n);
        snprintf(vars[3], 96, "OMPI_MCA_ess_base_jobid=%s", job);
        return 4;
    }
    if (strcmp(style, "torchrun") == 0) {
        snprintf(vars[0], 96, "RANK=%d", rank);
        snprintf(vars[1], 96, "WORLD_SIZE=%d", n);
        snprintf(vars[2], 96, "MASTER_ADDR=127.0.0.1");
        snprintf(vars[3], 96, "MASTER_PORT=%d", port);
        snprintf(vars[4], 96, "TORCHELASTIC_RUN_ID=%s", job);
        return 5;
    }
    snprintf(vars[0], 96, "WEFT_RANK=%d", rank);
    snprintf(vars[1], 96, "WEFT_NRANKS=%d", n);
    snprintf(vars[2], 96, "WEFT_ROOT=127.0.0.1:%d", port);
    snprintf(vars[3], 96, "WEFT_SECRET=%s", job);
    return 4;
}

static int run_exec(int n, char **argv, mr_env_fn extra_env)
{
    int port = mr_free_port();
    if (port < 0) {
        fprintf(stderr, "FAIL [exec n=%d] no free port\n", n);
        return 1;
    }
    char job[64];
    snprintf(job, sizeof(job), "mr-%d-%ld-%d", (int)getpid(), (long)time(NULL), n);
    pid_t *pids = calloc((size_t)n, sizeof(*pids));
    int *status = calloc((size_t)n, sizeof(*status));
    int started = 0;
    fflush(NULL);
    for (; started < n; started++) {
        char vars[6][96];
        const char *add[48] = {"MR_CHILD=1"};
        int nadd = 1, nv = launcher_env(started, n, port, job, vars);
        for (int v = 0; v < nv; v++)
            add[nadd++] = vars[v];
        const char *const *more = extra_env != NULL ? extra_env(started, n) : NULL;
        for (; more != NULL && *more != NULL && nadd < 47; more++)
            add[nadd++] = *more;
        char **env = child_env(add, nadd);
        pid_t pid = fork();
        if (pid == 0) {
            execve("/proc/self/exe", argv, env);
            fprintf(stderr, "FATAL execve /proc/self/exe: %s\n", strerror(errno));
            _exit(MR_EXIT_SETUP);
        }
        free(env);
        if (pid < 0)
            break;
        pids[started] = pid;
    }
    int bad = 0;
    if (started < n) {
        fprintf(stderr, "FAIL [exec n=%d] fork: %s\n", n, strerror(errno));
        bad++;
    }
    mr_wait_procs(pids, started, mr_proc_timeout(), status, NULL);
    bad += proc_failures("exec", pids, status, started);
    free(pids);
    free(status);
    return bad;
}

int mr_is_exec_child(void)
{
    const char *c = getenv("MR_CHILD");
    return c != NULL && strcmp(c, "1") == 0;
}

int mr_exec_child(mr_body_fn fn, void *arg)
{
    if (!mr_is_exec_child())
        return -1;
    mr_rank_t rk = {-1, 0, NULL, "exec", 0, NULL};
    weft_status_t st = weft_comm_init_env(&rk.comm);
    if (st == WEFT_OK)
        st = weft_comm_rank(rk.comm, &rk.rank);
    if (st == WEFT_OK)
        st = weft_comm_size(rk.comm, &rk.nranks);
    if (st != WEFT_OK) {
        mr_fail(&rk, "weft_comm_init_env: %s: %s", weft_status_string(st), weft_last_error());
        return MR_EXIT_SETUP;
    }
    int f = run_body(&rk, fn, arg);
    fflush(NULL);
    return f ? MR_EXIT_FAIL : MR_EXIT_OK;
}

/* --- threads ------------------------------------------------------------- */

typedef struct {
    mr_rank_t rk;
    const weft_unique_id_t *id;
    mr_body_fn fn;
    void *arg;
    int failures;
} thread_job_t;

static void *thread_main(void *p)
{
    thread_job_t *job = p;
    weft_status_t st = weft_comm_init_rank(job->rk.nranks, job->id, job->rk.rank, &job->rk.comm);
    if (st != WEFT_OK) {
        /* The other ranks cannot finish their init: end now. */
        mr_fatal(&job->rk, "weft_comm_init_rank: %s: %s", weft_status_string(st),
                 weft_last_error());
    }
    job->failures = run_body(&job->rk, job->fn, job->arg);
    return NULL;
}

static int run_threads(int n, mr_body_fn fn, void *arg)
{
    weft_unique_id_t id;
    if (weft_get_unique_id(&id) != WEFT_OK) {
        fprintf(stderr, "FAIL [threads n=%d] weft_get_unique_id: %s\n", n, weft_last_error());
        return 1;
    }
    thread_job_t *jobs = calloc((size_t)n, sizeof(*jobs));
    pthread_t *threads = calloc((size_t)n, sizeof(*threads));
    for (int r = 0; r < n; r++) {
        jobs[r] = (thread_job_t){{r, n, NULL, "threads", 0, NULL}, &id, fn, arg, 0};
        if (pthread_create(&threads[r], NULL, thread_main, &jobs[r]) != 0)
            mr_fatal(&jobs[r].rk, "pthread_create failed");
    }
    int bad = 0;
    for (int r = 0; r < n; r++) {
        pthread_join(threads[r], NULL);
        bad += jobs[r].failures;
    }
    free(jobs);
    free(threads);
    return bad;
}

static int run_group(int n, mr_body_fn fn, void *arg)
{
    weft_comm_t *comms = calloc((size_t)n, sizeof(*comms));
    mr_rank_t *rks = calloc((size_t)n, sizeof(*rks));
    mr_rank_t **ptrs = calloc((size_t)n, sizeof(*ptrs));
    weft_status_t st = weft_comm_init_all(n, NULL, comms);
    if (st != WEFT_OK) {
        fprintf(stderr, "FAIL [group n=%d] weft_comm_init_all: %s: %s\n", n, weft_status_string(st),
                weft_last_error());
        return 1;
    }
    for (int r = 0; r < n; r++) {
        rks[r] = (mr_rank_t){r, n, comms[r], "group", 0, NULL};
        ptrs[r] = &rks[r];
    }
    int bad = fn(ptrs, n, arg);
    for (int r = 0; r < n; r++) {
        st = weft_comm_destroy(comms[r]);
        if (st != WEFT_OK) {
            mr_fail(&rks[r], "weft_comm_destroy: %s", weft_last_error());
            bad++;
        }
    }
    free(comms);
    free(rks);
    free(ptrs);
    return bad;
}

int mr_run(const char *mode, int n, mr_body_fn fn, void *arg, char **argv, mr_env_fn extra_env)
{
    if (strcmp(mode, "threads") == 0)
        return run_threads(n, fn, arg);
    if (strcmp(mode, "group") == 0)
        return run_group(n, fn, arg);
    if (strcmp(mode, "fork") == 0)
        return run_fork(n, fn, arg);
    if (strcmp(mode, "exec") == 0)
        return run_exec(n, argv, extra_env);
    fprintf(stderr, "unknown mode %s (threads, group, fork or exec)\n", mode);
    return 1;
}
