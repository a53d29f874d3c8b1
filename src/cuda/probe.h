/*
 * probe.h - can this process use a GPU?
 *
 * A library built with CUDA runs on machines without a driver or a GPU
 * (CI, login nodes): there it serves host buffers as if built without
 * CUDA.  The probe finds out once per process, says so once at INFO, and
 * remembers the answer for the code that must not call into the runtime
 * when it has nothing to talk to (pointer classification).
 */
#ifndef WEFT_CUDA_PROBE_H
#define WEFT_CUDA_PROBE_H

#include <weft.h>

/* The number of CUDA devices this process can use: 0 when weft was built
 * without CUDA, or there is no driver or no GPU.  The first call asks the
 * runtime and logs the answer at INFO; later calls return it.  Thread-safe.
 * Called from communicator init. */
int weft__cuda_probe(void);

/* 1 if this build has the CUDA kernels (WEFT_CUDA), else 0. */
int weft__cuda_built(void);

/* device_of.c: the calling thread's CUDA device where a GPU is usable,
 * else -1. */
int weft__cuda_current_device(void);
/* Makes `device` the calling thread's (weft_comm_init_all): an index the
 * GPUs here do not have is WEFT_ERR_INVALID_ARGUMENT; with no usable GPU
 * nothing is set and any index >= 0 is accepted (the topology's GPU). */
weft_status_t weft__cuda_use_device(int device);

#endif
