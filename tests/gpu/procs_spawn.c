/*
 * procs_spawn.c - the parent side of test_device_procs that must not touch
 * CUDA (procs_spawn.h): waiting for processes under a deadline, and
 * asking a child whether there is a GPU.
 *
 * The probe child makes the first CUDA calls of its life, writes what it
 * found into a pipe and ends; the parent reads the pipe once the child is
 * gone, so that a driver that hangs costs PROCS_PROBE_TIMEOUT_S and a
 * kill, never a hung test.
 */
#include "procs_spawn.h"
#include "multirank/mr_harness.h"

#include <cuda_runtime_api.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROCS_PROBE_TIMEOUT_S 120.0

int procs_wait(const pid_t *pids, int n, double timeout_s, int *status)
{
    double deadline = mr_now() + timeout_s;
    int left = n, cut = 0;
    for (int i = 0; i < n; i++)
        status[i] = PROCS_RUNNING;
    while (left > 0 && mr_now() < deadline) {
        for (int i = 0; i < n; i++) {
            int ws;
            if (status[i] != PROCS_RUNNING || waitpid(pids[i], &ws, WNOHANG) != pids[i])
                continue;
            status[i] = ws;
            left--;
            if (!(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) && mr_now() + PROCS_GRACE_S < deadline) {
                deadline = mr_now() + PROCS_GRACE_S;
                cut = 1;
            }
        }
        struct timespec nap = {0, 10000000};
        nanosleep(&nap, NULL);
    }
    for (int i = 0; i < n; i++) {
        if (status[i] != PROCS_RUNNING)
            continue;
        kill(pids[i], SIGKILL);
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
        status[i] = PROCS_KILLED;
    }
    return cut;
}

static const char *mode_name(int mode)
{
    switch (mode) {
    case cudaComputeModeDefault:
        return "default";
    case cudaComputeModeProhibited:
        return "prohibited";
    case cudaComputeModeExclusiveProcess:
        return "exclusive-process (rank processes cannot share a GPU without MPS)";
    default:
        return "unknown";
    }
}

/* In the probe child: the first CUDA calls of its life, then it ends. */
static void probe_child(int fd)
{
    procs_probe_t r;
    memset(&r, 0, sizeof(r));
    struct cudaDeviceProp prop;
    int mode = -1;
    cudaError_t err = cudaGetDeviceCount(&r.ndev);
    if (err != cudaSuccess) {
        r.ndev = 0;
        snprintf(r.what, sizeof(r.what), "%s", cudaGetErrorString(err));
    } else if (r.ndev == 0) {
        snprintf(r.what, sizeof(r.what), "the driver reports none");
    } else if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess &&
               cudaDeviceGetAttribute(&mode, cudaDevAttrComputeMode, 0) == cudaSuccess) {
        snprintf(r.what, sizeof(r.what), "GPU 0 is %.200s, compute mode %s", prop.name,
                 mode_name(mode));
    } else {
        snprintf(r.what, sizeof(r.what), "GPU 0's properties could not be read");
    }
    _exit(write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
}

int procs_probe(procs_probe_t *out)
{
    int fds[2], status;
    if (pipe(fds) != 0) {
        perror("test_device_procs: pipe");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        probe_child(fds[1]);
    }
    close(fds[1]);
    if (pid < 0) {
        perror("test_device_procs: fork");
        close(fds[0]);
        return -1;
    }
    procs_wait(&pid, 1, PROCS_PROBE_TIMEOUT_S, &status);
    ssize_t got = read(fds[0], out, sizeof(*out)); /* the child is gone: never blocks */
    close(fds[0]);
    if (status == PROCS_KILLED || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != (ssize_t)sizeof(*out)) {
        fprintf(stderr, "FAIL test_device_procs: the GPU probe (a child process) %s\n",
                status == PROCS_KILLED ? "hung: killed" : "failed");
        return -1;
    }
    out->what[sizeof(out->what) - 1] = '\0';
    return 0;
}
