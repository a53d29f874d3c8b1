/*
 * The buffers of the harness, in host memory or in the memory a tool names
 * (bench_mem_t: a GPU's, for weft-perf -m device and nccl-perf).
 *
 * In host memory the harness writes the input and checks the output in the
 * buffers themselves, as it always has. In a tool's memory it cannot touch
 * them, so it keeps one host copy as large as a buffer: the input is
 * written there and uploaded, the output downloaded there and checked, with
 * the same pattern and the same bit-exact comparison (bench_data.c). The
 * copies are outside the timed loop; only the collectives are timed.
 */
#include <stdlib.h>
#include <string.h>

#include "bench_internal.h"

/* Room past the largest row, as the host buffers always had. */
#define BENCH_MEM_SLACK 64

static int bench_host_alloc(const bench_opts_t *opts, bench_memory_t *mem)
{
    size_t bytes = opts->max_bytes + BENCH_MEM_SLACK;

    /* Touched once, so that no page fault lands in a timed loop. */
    if (posix_memalign(&mem->bufs.send, 4096, bytes) != 0 ||
        posix_memalign(&mem->bufs.recv, 4096, bytes) != 0) {
        fprintf(stderr, "error: cannot allocate 2 x %zu bytes\n", bytes);
        free(mem->bufs.send);
        return -1;
    }
    memset(mem->bufs.send, 0, bytes);
    memset(mem->bufs.recv, 0, bytes);
    return 0;
}

static int bench_tool_alloc(const bench_opts_t *opts, const bench_mem_t *m, bench_memory_t *mem)
{
    size_t bytes = opts->max_bytes + BENCH_MEM_SLACK;

    mem->host_copy = malloc(bytes);
    if (mem->host_copy == NULL) {
        fprintf(stderr, "error: cannot allocate %zu bytes of host memory\n", bytes);
        return -1;
    }
    memset(mem->host_copy, 0, bytes);
    if (m->alloc(m->ctx, bytes, &mem->bufs.send) != 0)
        goto out_free_copy;
    if (m->alloc(m->ctx, bytes, &mem->bufs.recv) != 0)
        goto out_release_send;
    if (m->set_bytes(m->ctx, mem->bufs.send, 0, bytes) != 0 ||
        m->set_bytes(m->ctx, mem->bufs.recv, 0, bytes) != 0)
        goto out_release_recv;
    return 0;

out_release_recv:
    m->release(m->ctx, mem->bufs.recv);
out_release_send:
    m->release(m->ctx, mem->bufs.send);
out_free_copy:
    free(mem->host_copy);
    mem->host_copy = NULL;
    return -1;
}

int bench_mem_alloc(const bench_opts_t *opts, const bench_comm_t *comm, bench_memory_t *mem_p)
{
    bench_memory_t mem = {{NULL, NULL, NULL}, NULL};
    int rc =
        comm->mem != NULL ? bench_tool_alloc(opts, comm->mem, &mem) : bench_host_alloc(opts, &mem);

    if (rc != 0)
        return -1;
    mem.bufs.result = mem.bufs.recv;
    *mem_p = mem;
    return 0;
}

void bench_mem_free(const bench_comm_t *comm, bench_memory_t *mem)
{
    if (comm->mem != NULL) {
        comm->mem->release(comm->mem->ctx, mem->bufs.recv);
        comm->mem->release(comm->mem->ctx, mem->bufs.send);
    } else {
        free(mem->bufs.recv);
        free(mem->bufs.send);
    }
    free(mem->host_copy);
}

int bench_mem_write_input(const bench_opts_t *opts, const bench_comm_t *comm,
                          const bench_size_t *size, const bench_memory_t *mem, void *send)
{
    const bench_mem_t *m = comm->mem;

    if (m == NULL) {
        bench_fill_input(opts, size, comm->rank, comm->nranks, send);
        return 0;
    }
    /* A rank with no input leaves its buffer alone: in place, it is the
     * poisoned output. */
    if (!bench_fill_input(opts, size, comm->rank, comm->nranks, mem->host_copy))
        return 0;
    return m->upload(m->ctx, send, mem->host_copy, size->send_count * bench_type_size(size->type));
}

int bench_mem_poison(const bench_comm_t *comm, void *dst, size_t bytes)
{
    if (comm->mem == NULL) {
        memset(dst, 0xff, bytes);
        return 0;
    }
    return comm->mem->set_bytes(comm->mem->ctx, dst, 0xff, bytes);
}

int bench_mem_count_wrong(const bench_opts_t *opts, const bench_comm_t *comm,
                          const bench_size_t *size, const bench_memory_t *mem, const void *result,
                          uint64_t *wrong_p)
{
    const bench_mem_t *m = comm->mem;

    if (m != NULL) {
        if (m->download(m->ctx, mem->host_copy, result,
                        size->recv_count * bench_type_size(size->type)) != 0)
            return -1;
        result = mem->host_copy;
    }
    *wrong_p = bench_count_wrong(opts, size, comm->rank, comm->nranks, result);
    return 0;
}

int bench_mem_sync(const bench_comm_t *comm)
{
    return comm->sync != NULL ? comm->sync(comm->ctx) : 0;
}

const char *bench_mem_name(const bench_comm_t *comm)
{
    return comm->mem != NULL ? comm->mem->name : "host memory";
}
