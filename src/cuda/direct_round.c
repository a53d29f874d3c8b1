/*
 * direct_round.c - the stream pieces of a round of the direct all-reduce
 * (direct_round.h).
 */
#include "cuda/direct_round.h"
#include "util/log.h"

#ifdef WEFT_HAVE_CUDA
#include "cuda/cuda_reduce.h"
#include "cuda/device/wait.h"
#include "cuda/runtime.h"

/* Barrier k: the host function that hands it to the proxy, and the wait. */
static weft_status_t barrier(const weft__cuda_direct_round_t *r, int k, cudaStream_t s)
{
    cudaError_t err = cudaLaunchHostFunc(s, r->ready[k], r->arg);
    if (err != cudaSuccess)
        return weft__cuda_fail(err, "handing a barrier to the proxy (cudaLaunchHostFunc)");
    err = weft__cuda_launch_wait((const volatile uint32_t *)r->flag_dev[k],
                                 (const volatile uint32_t *)r->heartbeat_dev,
                                 (volatile uint32_t *)r->gave_up_dev[k], r->wait_limit_ns, s);
    return err == cudaSuccess ? WEFT_OK : weft__cuda_fail(err, "launching the wait for the proxy");
}

static const volatile uint32_t *guard(const weft__cuda_direct_round_t *r, int k)
{
    return (const volatile uint32_t *)r->flag_dev[k];
}

static weft_status_t queue(const weft__cuda_direct_round_t *r, cudaStream_t s)
{
    weft_status_t st = barrier(r, 0, s);
    if (st == WEFT_OK && r->bytes > 0 && r->mine != r->in)
        st = weft__cuda_guarded_copy(r->mine, r->in, r->bytes, guard(r, 0), s);
    if (st == WEFT_OK)
        st = barrier(r, 1, s);
    weft_op_t op = r->op == WEFT_AVG ? WEFT_SUM : r->op;
    if (st == WEFT_OK && r->red_count > 0)
        st = weft__cuda_reduce_guarded(r->red_dst, r->red_srcs, r->nsrcs, r->red_count, r->dt,
                                       op, guard(r, 1), s);
    if (st == WEFT_OK && r->nbarriers == 3) {
        st = barrier(r, 2, s);
        for (int p = 0; p < r->nsrcs && st == WEFT_OK; p++)
            st = weft__cuda_guarded_copy(r->gather[p].dst, r->gather[p].src, r->gather[p].bytes,
                                         guard(r, 2), s);
    }
    if (st == WEFT_OK && r->div_count > 0 && r->divisor > 1)
        st = weft__cuda_divide(r->div_dst, r->div_count, r->dt, r->divisor, s);
    if (st != WEFT_OK)
        return st;
    cudaError_t err = cudaLaunchHostFunc(s, r->passed, r->arg);
    return err == cudaSuccess ? WEFT_OK
                              : weft__cuda_fail(err, "ending the round (cudaLaunchHostFunc)");
}

weft_status_t weft__cuda_direct_round(int device, void *stream, const weft__cuda_direct_round_t *r)
{
    int old = -1;
    cudaError_t err = weft__cuda_enter(device, &old);
    weft_status_t st =
        err == cudaSuccess ? queue(r, (cudaStream_t)stream) : weft__cuda_fail(err, "cudaSetDevice");
    weft__cuda_leave(device, old);
    return st;
}

#else /* built without CUDA: the direct path is never enabled */

weft_status_t weft__cuda_direct_round(int device, void *stream, const weft__cuda_direct_round_t *r)
{
    (void)device, (void)stream, (void)r;
    return weft__error(WEFT_ERR_UNSUPPORTED, "a direct all-reduce: weft was built without CUDA");
}

#endif
