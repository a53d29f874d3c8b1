/*
 * gpu_coll.h - what the device-buffer collective tests share: a set of
 * ranks that are threads of this process on one GPU (communicators,
 * streams, device and host buffers), and one case of a sweep -- a
 * collective, datatype, op, count, in place or not -- prepared, issued on
 * device or host buffers, and compared.
 */
#ifndef WEFT_TESTS_GPU_COLL_H
#define WEFT_TESTS_GPU_COLL_H

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#define GPU_MAX_RANKS 4

typedef enum {
    GPU_ALLREDUCE,
    GPU_ALLGATHER,
    GPU_REDUCE_SCATTER,
    GPU_BROADCAST,
    GPU_REDUCE,
    GPU_SENDRECV, /* rank r sends to r+1 and receives from r-1, in one group */
    GPU_GROUP     /* an all-reduce and a reduce-scatter in one group */
} gpu_coll_t;

typedef struct {
    gpu_coll_t coll;
    weft_datatype_t dt;
    weft_op_t op;
    size_t count; /* per rank for all-gather and reduce-scatter */
    int inplace;
    int root;
} gpu_case_t;

typedef struct {
    int n;
    size_t cap; /* bytes of every buffer below */
    weft_comm_t comms[GPU_MAX_RANKS];
    cudaStream_t streams[GPU_MAX_RANKS];
    uint8_t *dev_send[GPU_MAX_RANKS], *dev_recv[GPU_MAX_RANKS];
    uint8_t *host_in[GPU_MAX_RANKS];   /* the rank's input */
    uint8_t *host_send[GPU_MAX_RANKS], *host_recv[GPU_MAX_RANKS]; /* the reference's */
    uint8_t *got[GPU_MAX_RANKS];       /* dev_recv, copied back */
} gpu_ranks_t;

/* n ranks on device (weft_comm_init_all), buffers for counts up to
 * max_count; exits 1 on failure. */
void gpu_ranks_init(gpu_ranks_t *g, int n, int device, size_t max_count);
void gpu_ranks_free(gpu_ranks_t *g);

/* Fills rank r's input and sets its outputs to a pattern, on both sides. */
void gpu_case_prepare(gpu_ranks_t *g, const gpu_case_t *c, int r);
/* Issues rank r's call(s) on device buffers and its stream, or on host
 * buffers (stream NULL). */
weft_status_t gpu_case_issue(gpu_ranks_t *g, const gpu_case_t *c, int r, int on_device);
/* Copies rank r's device output back and compares it with the host's:
 * NULL if equal, else what differs. */
const char *gpu_case_compare(gpu_ranks_t *g, const gpu_case_t *c, int r);
/* "allreduce float32 sum count 7 in place, 3 ranks" (a static buffer). */
const char *gpu_case_name(const gpu_case_t *c, int n);

#endif
