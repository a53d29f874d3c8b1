/*
 * reduce_plan.c - cutting a GPU reduction into a scalar head, a body of
 * 16-byte vectors and a scalar tail (reduce_plan.h), and sizing its grid.
 *
 * Pure arithmetic on addresses: nothing here touches the GPU.
 */
#include "cuda/reduce_plan.h"
#include "util/compiler.h"

#include <stdint.h>
#include <stdio.h>

/* When the device is unknown: an H100 SXM has 132 multiprocessors. */
#define DEFAULT_SM_COUNT 132

unsigned weft__cuda_grid_blocks(size_t items, int sm_count)
{
    size_t max_blocks =
        (size_t)(sm_count > 0 ? sm_count : DEFAULT_SM_COUNT) * WEFT_CUDA_BLOCKS_PER_SM;
    size_t blocks = WEFT_DIV_UP(items, (size_t)WEFT_CUDA_REDUCE_THREADS);
    return (unsigned)WEFT_MAX((size_t)1, WEFT_MIN(blocks, max_blocks));
}

/* Checks that p is aligned to its element; names it in why if not. */
static int element_aligned(const void *p, size_t elem_size, const char *name, int index, char *why,
                           size_t why_len)
{
    if ((uintptr_t)p % elem_size == 0)
        return 1;
    if (index >= 0)
        snprintf(why, why_len, "%s[%d] %p is not aligned to its %zu-byte elements", name, index, p,
                 elem_size);
    else
        snprintf(why, why_len, "%s %p is not aligned to its %zu-byte elements", name, p, elem_size);
    return 0;
}

weft_status_t weft__cuda_reduce_plan(const void *dst, const void *const *srcs, int nsrcs,
                                     size_t count, size_t elem_size, int sm_count,
                                     weft__cuda_reduce_plan_t *plan_p, char *why, size_t why_len)
{
    if (!element_aligned(dst, elem_size, "dst", -1, why, why_len))
        return WEFT_ERR_INVALID_ARGUMENT;
    size_t offset = (uintptr_t)dst % WEFT_CUDA_VEC_BYTES;
    int lined_up = 1;
    for (int s = 0; s < nsrcs; s++) {
        if (!element_aligned(srcs[s], elem_size, "srcs", s, why, why_len))
            return WEFT_ERR_INVALID_ARGUMENT;
        if ((uintptr_t)srcs[s] % WEFT_CUDA_VEC_BYTES != offset)
            lined_up = 0;
    }
    weft__cuda_reduce_plan_t plan = {.head = count};
    if (lined_up) {
        size_t per_vec = WEFT_CUDA_VEC_BYTES / elem_size;
        plan.head =
            WEFT_MIN(count, (WEFT_CUDA_VEC_BYTES - offset) % WEFT_CUDA_VEC_BYTES / elem_size);
        plan.nvec = (count - plan.head) / per_vec;
        plan.tail = count - plan.head - plan.nvec * per_vec;
    }
    /* A thread takes UNROLL vectors per round, or one scalar element. */
    size_t vec_items = WEFT_DIV_UP(plan.nvec, (size_t)WEFT_CUDA_REDUCE_UNROLL);
    plan.blocks = weft__cuda_grid_blocks(WEFT_MAX(vec_items, plan.head + plan.tail), sm_count);
    *plan_p = plan;
    return WEFT_OK;
}
