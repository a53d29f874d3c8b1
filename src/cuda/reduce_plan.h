/*
 * reduce_plan.h - how a reduction on the GPU is cut up, decided on the
 * host from the buffers' addresses alone (so it is tested without a GPU:
 * tests/unit/test_cuda_reduce_plan.c).
 *
 * The kernel (device/reduce_kernel.cuh) moves the body of the buffers in
 * 16-byte vectors, which need every pointer 16-byte aligned at the same
 * element.  When all buffers sit at the same offset from a 16-byte
 * boundary, the plan is:
 *
 *     [ head: scalar ][ nvec vectors of 16 bytes ][ tail: scalar ]
 *
 * head being the elements before dst's first boundary.  When they do not
 * (dst at an offset of 4 and a source at 8, say), no element index lines
 * all of them up and the whole range goes through the scalar loop: slower
 * (memory transactions of 1 to 8 bytes) but exact.  Pointers must be
 * aligned to their element size, as C requires of a typed pointer.
 */
#ifndef WEFT_CUDA_REDUCE_PLAN_H
#define WEFT_CUDA_REDUCE_PLAN_H

#include <stddef.h>
#include <weft.h>

/* The kernel's shape.  Tuning points for a GPU session: at these values
 * every kernel fits in 64 registers without spilling (ptxas -warn-spills,
 * an error under WEFT_WERROR), so two blocks of 512 threads are resident
 * per multiprocessor, each thread with 64 bytes of one input in flight. */
#define WEFT_CUDA_REDUCE_MAX_SRCS 8  /* inputs of one kernel */
#define WEFT_CUDA_VEC_BYTES 16       /* one vector load or store */
#define WEFT_CUDA_REDUCE_THREADS 512 /* threads per block */
#define WEFT_CUDA_REDUCE_UNROLL 4    /* vectors per thread per round (2 for 16-bit floats) */
#define WEFT_CUDA_BLOCKS_PER_SM                                                                    \
    2 /* resident blocks: the grid's size per SM, and the                                          \
         kernels' __launch_bounds__ */

typedef struct {
    size_t head;     /* scalar elements before the vectors */
    size_t nvec;     /* 16-byte vectors */
    size_t tail;     /* scalar elements after them */
    unsigned blocks; /* grid size; threads per block: WEFT_CUDA_REDUCE_THREADS */
} weft__cuda_reduce_plan_t;

/* Plans dst = srcs[0] op ... op srcs[nsrcs-1] over count elements of
 * elem_size bytes (1, 2, 4 or 8) on a GPU with sm_count multiprocessors
 * (<= 0: unknown, a default is used).  WEFT_ERR_INVALID_ARGUMENT, with
 * why naming the pointer ("srcs[2]"), when a pointer is not aligned to
 * elem_size; a count of 0 plans nothing and one block. */
weft_status_t weft__cuda_reduce_plan(const void *dst, const void *const *srcs, int nsrcs,
                                     size_t count, size_t elem_size, int sm_count,
                                     weft__cuda_reduce_plan_t *plan_p, char *why, size_t why_len);

/* Grid size for a grid-stride loop over `items` per-thread work items:
 * enough blocks to cover them, at most WEFT_CUDA_BLOCKS_PER_SM per
 * multiprocessor, at least 1. */
unsigned weft__cuda_grid_blocks(size_t items, int sm_count);

#endif
