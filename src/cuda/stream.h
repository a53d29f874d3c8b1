/*
 * stream.h - putting a stream-ordered call on the caller's CUDA stream.
 *
 * A call on device buffers is staged through pinned host memory and run
 * by the communicator's proxy thread (core/proxy.h).  On the stream it is
 * five pieces, in order:
 *
 *   1. copies of the inputs, device to pinned host (stage_in);
 *   2. a host function that tells the proxy the inputs are there;
 *   3. a one-thread kernel that waits for the call's flag, a word of
 *      mapped pinned memory that the proxy sets when the call is done or
 *      failed; it also gives up at a deadline (device/wait.cu);
 *   4. copies of the results, pinned host to device;
 *   5. a host function that says the stream is past the call, so that its
 *      staging memory can serve another.
 * Pieces 2-5 are wait_out.  The host functions must not block and make no
 * CUDA call (CUDA may run all of a process's on one thread); they are the
 * proxy's, passed here as plain function pointers.
 *
 * Every function switches to the communicator's device for its calls and
 * back.  Without CUDA they return WEFT_ERR_UNSUPPORTED (nothing reaches
 * them: every buffer is host memory then).
 */
#ifndef WEFT_CUDA_STREAM_H
#define WEFT_CUDA_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

typedef struct {
    void *dst;
    const void *src;
    size_t bytes;
} weft__cuda_copy_t;

/* Pieces 2-5 of a call. */
typedef struct {
    void (*ready)(void *arg);           /* 2: the inputs are staged */
    const void *flag_dev;               /* 3: the device's address of the call's flag word */
    const void *heartbeat_dev;          /*    a word the proxy bumps while alive; NULL: none */
    void *gave_up_dev;                  /*    set to 1 by the wait if it reached its deadline */
    uint64_t wait_limit_ns;             /*    the deadline without a heartbeat; 0: none */
    const weft__cuda_copy_t *to_device; /* 4 */
    int n_to_device;
    void (*passed)(void *arg); /* 5: the stream is past the call */
    void *arg;                 /* for ready and passed */
} weft__cuda_wait_out_t;

/* WEFT_OK if stream can take a stream-ordered call: WEFT_ERR_UNSUPPORTED
 * naming fn if it is capturing a CUDA graph, WEFT_ERR_CUDA if the runtime
 * cannot tell. */
weft_status_t weft__cuda_stream_usable(const char *fn, int device, void *stream);

/* Piece 1: n copies device -> host on stream. */
weft_status_t weft__cuda_stage_in(int device, void *stream, const weft__cuda_copy_t *copies, int n);

/* Pieces 2-5 (2 only if out->ready is set).  On failure some pieces may
 * be queued already. */
weft_status_t weft__cuda_wait_out(int device, void *stream, const weft__cuda_wait_out_t *out);

/* Piece 2 alone, for a call cut into pieces (core/proxy_device.c): fn(arg)
 * once the stream reaches it. */
weft_status_t weft__cuda_host_fn(int device, void *stream, void (*fn)(void *arg), void *arg);

/* Pinned host memory, mapped into every device's address space (the wait
 * kernel reads it): its host address and the device's. */
weft_status_t weft__cuda_host_alloc(int device, size_t bytes, void **host_p, void **dev_p);
void weft__cuda_host_free(void *host);

#endif
