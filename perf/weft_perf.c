/*
 * weft-perf: the bandwidth and latency benchmark of weft, in the shape of
 * nccl-tests (size, count, type, redop, root, time, algbw, busbw, #wrong)
 * plus the algorithm weft chose for each row.
 *
 *   weft-perf allreduce -t 4 -b 8 -e 64M          4 ranks as threads
 *   weft-perf allreduce -t 2 -m device             GPU buffers, stream-ordered
 *   mpirun -np 4 weft-perf allgather               one rank per process
 *   WEFT_RANK=r WEFT_NRANKS=n WEFT_ROOT=host:port weft-perf reduce
 *   weft-perf --config                             the WEFT_* variables
 *
 * Under a launcher (WEFT_RANK, OpenMPI, Slurm with several tasks, torchrun)
 * each process is one rank and joins through weft_comm_init_env; otherwise
 * -t N ranks run as threads of this process (4 by default).  The harness in
 * perf/bench (shared with mpi-perf and gloo-perf) does the sweep, the
 * timing and the bit-exact check; weft-perf only says how weft runs each
 * collective (weft_perf_rank.c) and starts the ranks (weft_perf_launch.c).
 * This file reads weft-perf's own options and chooses threads or processes.
 *
 * -m device (the default where the build has CUDA and a GPU is present) puts
 * the buffers in the rank's GPU memory and runs each collective on a stream
 * of the rank's own (perf/bench/bench_cuda.c): the timed ones are issued
 * back to back and the clock stops when the stream has drained. Ranks share
 * GPU 0 unless there are several, then rank r (as a thread) or local rank r
 * (under a launcher) uses GPU r % ngpus; weft_comm_init_rank binds the
 * communicator to the GPU current when it runs, so the GPU is chosen first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft_perf.h"

/* The exit status of -m device where there is no GPU: ctest's "skipped". */
#define PERF_EXIT_NO_GPU 77

static int perf_handle(void *ctx, int opt, const char *arg)
{
    perf_opts_t *po = ctx;
    switch (opt) {
    case 't':
        po->threads = atoi(arg);
        return po->threads >= 1 && po->threads <= 1024 ? 0 : -1;
    case 'a': po->algo = arg; return 0;
    case 'v': po->verbose = 1; return 0;
    case 'm':
        po->memory = arg;
        return strcmp(arg, "host") == 0 || strcmp(arg, "device") == 0 ? 0 : -1;
    default: return -1;
    }
}

/* A launcher that starts one process per rank has set one of these. */
static int perf_launched(void)
{
    const char *slurm = getenv("SLURM_NTASKS");
    return getenv("WEFT_RANK") != NULL || getenv("OMPI_COMM_WORLD_RANK") != NULL ||
           (getenv("RANK") != NULL && getenv("WORLD_SIZE") != NULL) ||
           (slurm != NULL && atoi(slurm) > 1);
}

/* Settles -m: device by default where there is a GPU; -m device without
 * one is an error naming the option. Returns 0 or an exit status. */
static int perf_choose_memory(perf_opts_t *po)
{
    char why[160] = "";
    if (po->memory != NULL && strcmp(po->memory, "host") == 0)
        return 0; /* the runtime is not even asked */
    po->ngpus = bench_cuda_gpus(why, sizeof(why));
    po->device = po->ngpus > 0;
    if (po->device || po->memory == NULL)
        return 0;
    fprintf(stderr, "error: weft-perf: -m device: no GPU to put the buffers on: %s\n", why);
    return PERF_EXIT_NO_GPU;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--config") == 0) {
        weft_config_print(stdout);
        return 0;
    }
    perf_opts_t popts = {.threads = 4};
    bench_extra_opts_t extra = {"t:a:vm:", perf_handle, &popts,
                                "  -t NRANKS    ranks as threads of this process (default 4; "
                                "ignored under a launcher)\n"
                                "  -a ALGO      force an algorithm: ring, rd, rabenseifner, "
                                "tree, chain (sets WEFT_ALGO)\n"
                                "  -v           print the bytes sent within and between nodes\n"
                                "  -m MEMORY    host, or device: buffers in the rank's GPU, "
                                "collectives on a\n"
                                "               stream (default device where the build has "
                                "CUDA and a GPU is\n"
                                "               present; -m device without a GPU exits 77)\n"
                                "  --config     print every WEFT_* variable with its default "
                                "and help\n"};
    int launched = perf_launched();
    bench_opts_t opts;
    int rc = bench_parse_args(argc, argv, "weft-perf", &extra, 1, &opts);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    rc = perf_choose_memory(&popts);
    if (rc != 0)
        return rc;
    /* Before any weft call: the configuration is read once. */
    if (popts.algo != NULL)
        setenv("WEFT_ALGO", popts.algo, 1);
    return launched ? perf_processes(&opts, &popts) : perf_threads(&opts, &popts);
}
