/*
 * procs_spawn.h - what test_device_procs's parent does with its children
 * without making a CUDA call itself (CUDA does not survive fork: a child
 * of a process that initialised it cannot use it).
 */
#ifndef WEFT_TESTS_GPU_PROCS_SPAWN_H
#define WEFT_TESTS_GPU_PROCS_SPAWN_H

#include <sys/types.h>

#define PROCS_RUNNING (-2) /* not a wait status: those are >= 0 */
#define PROCS_KILLED (-1)
#define PROCS_GRACE_S 15.0

/* Waits for n processes until timeout_s has passed, or PROCS_GRACE_S after
 * the first one that failed (the others could only be waiting for it);
 * kills the rest with SIGKILL.  status[i]: the wait status, or
 * PROCS_KILLED.  Returns 1 if a failure cut the deadline short. */
int procs_wait(const pid_t *pids, int n, double timeout_s, int *status);

typedef struct {
    int ndev;       /* 0: no usable GPU */
    char what[384]; /* why there is none, or GPU 0's name and compute mode */
} procs_probe_t;

/* How many GPUs there are, asked in a child process; 0 on success, -1
 * (said on stderr) if the child failed, hung or could not be started. */
int procs_probe(procs_probe_t *out);

#endif
