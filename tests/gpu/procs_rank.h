/*
 * procs_rank.h - one rank of test_device_procs: a process of its own,
 * forked before anything in the test touched CUDA.
 */
#ifndef WEFT_TESTS_GPU_PROCS_RANK_H
#define WEFT_TESTS_GPU_PROCS_RANK_H

#include <weft.h>

/* Process exit codes of a rank. */
enum { PROCS_RANK_OK = 0, PROCS_RANK_FAILED = 1, PROCS_RANK_SETUP = 2 };

/* Makes GPU (rank % the GPUs this process sees) current, joins the
 * communicator of id as `rank` of `nranks`, runs the sweep on device
 * buffers (on_host: on host buffers, without any CUDA call) and checks
 * every case; failures are printed on stderr as
 * "FAIL [n=N rank R] ...".  Returns the process's exit code; ends the
 * process itself (exit code 1) where going on would only make the other
 * ranks wait: a call that returned an error, an asynchronous error, a
 * CUDA call that failed. */
int procs_rank_main(int rank, int nranks, const weft_unique_id_t *id, int on_host);

#endif
