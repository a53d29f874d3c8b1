/*
 * reduce_bench.c - throughput of the CPU reduction kernels, against memcpy.
 *
 * For each instruction set this CPU can run, each (datatype, op) below and
 * each size from 4 KiB to 256 MiB (of dst), prints GB/s of dst bytes for
 *  - weft__reduce with dst apart from a and b ("reduce") and with dst == a
 *    ("inplace", the accumulate-into-my-buffer case of the collectives);
 *  - memcpy of the same bytes, measured in the same row, and the ratio
 *    reduce / memcpy: a reduction reads twice what it writes, so at memory
 *    bound sizes about 2/3 is the ceiling;
 *  - weft__reduce_multi with 2..8 inputs.
 * Each point repeats until --time seconds have passed (at least twice,
 * after one warm-up call), so small sizes are timed from cache and large
 * ones from memory.  Options narrow the run: --isa NAME, --max BYTES
 * (default 256 MiB), --min BYTES (default 4 KiB), --time SECONDS (0.05),
 * --no-multi.
 */
#include "reduce/reduce.h"
#include "util/time.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUTS 8

static const struct {
    weft_datatype_t dt;
    weft_op_t op;
} cases[] = {
    {WEFT_FLOAT32, WEFT_SUM}, {WEFT_BFLOAT16, WEFT_SUM}, {WEFT_FLOAT16, WEFT_SUM},
    {WEFT_INT32, WEFT_SUM},   {WEFT_FLOAT64, WEFT_SUM},  {WEFT_FLOAT32, WEFT_MAX},
    {WEFT_INT8, WEFT_SUM},    {WEFT_INT64, WEFT_MIN},
};

static double min_time = 0.05;
static unsigned char *bufs[MAX_INPUTS + 1]; /* inputs, then dst */
static const void *srcs[MAX_INPUTS];        /* the inputs again, as reduce_multi takes them */

typedef enum { RUN_REDUCE, RUN_INPLACE, RUN_MULTI, RUN_MEMCPY } run_kind_t;

static void run_once(run_kind_t kind, weft_datatype_t dt, weft_op_t op, size_t count, int nsrcs)
{
    unsigned char *dst = bufs[MAX_INPUTS];
    switch (kind) {
    case RUN_REDUCE:
        weft__reduce(dst, bufs[0], bufs[1], count, dt, op);
        break;
    case RUN_INPLACE:
        weft__reduce(dst, dst, bufs[0], count, dt, op);
        break;
    case RUN_MULTI:
        weft__reduce_multi(dst, srcs, nsrcs, count, dt, op);
        break;
    case RUN_MEMCPY:
        memcpy(dst, bufs[0], count * weft__dtype_size(dt));
        break;
    }
}

/* GB/s (1e9 bytes) of dst written. */
static double measure(run_kind_t kind, weft_datatype_t dt, weft_op_t op, size_t bytes, int nsrcs)
{
    size_t count = bytes / weft__dtype_size(dt);
    run_once(kind, dt, op, count, nsrcs);
    uint64_t start = weft__now_ns(), elapsed;
    long iters = 0;
    do {
        run_once(kind, dt, op, count, nsrcs);
        iters++;
        elapsed = weft__now_ns() - start;
    } while (iters < 2 || elapsed < (uint64_t)(min_time * 1e9));
    return (double)bytes * (double)iters / (double)elapsed;
}

/* Values that stay finite and normal however often they are summed in
 * place or maxed: 1.0 in each float type, 1 in the integers (which wrap). */
static void fill(weft_datatype_t dt, unsigned char *p, size_t bytes)
{
    size_t sz = weft__dtype_size(dt);
    uint64_t one;
    switch (dt) {
    case WEFT_FLOAT16:
        one = 0x3c00;
        break;
    case WEFT_BFLOAT16:
        one = 0x3f80;
        break;
    case WEFT_FLOAT32:
        one = 0x3f800000;
        break;
    case WEFT_FLOAT64:
        one = 0x3ff0000000000000ull;
        break;
    default:
        one = 1;
        break;
    }
    for (size_t i = 0; i + sz <= bytes; i += sz)
        memcpy(p + i, &one, sz);
}

static void format_size(size_t bytes, char *out, size_t len)
{
    if (bytes >= (1u << 20))
        snprintf(out, len, "%zuMiB", bytes >> 20);
    else
        snprintf(out, len, "%zuKiB", bytes >> 10);
}

static void bench_isa(const char *isa, size_t min_bytes, size_t max_bytes, int multi)
{
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        weft_datatype_t dt = cases[c].dt;
        weft_op_t op = cases[c].op;
        for (int i = 0; i <= MAX_INPUTS; i++)
            fill(dt, bufs[i], max_bytes);
        for (size_t bytes = min_bytes; bytes <= max_bytes; bytes *= 4) {
            char size[32];
            format_size(bytes, size, sizeof(size));
            double red = measure(RUN_REDUCE, dt, op, bytes, 2);
            double inplace = measure(RUN_INPLACE, dt, op, bytes, 2);
            double copy = measure(RUN_MEMCPY, dt, op, bytes, 1);
            printf("%-7s %-9s %-4s %7s %8.2f %8.2f %8.2f %6.2f", isa, weft__dtype_name(dt),
                   weft__op_name(op), size, red, inplace, copy, red / copy);
            for (int n = 2; multi && n <= MAX_INPUTS; n++)
                printf(" %7.2f", measure(RUN_MULTI, dt, op, bytes, n));
            printf("\n");
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"isa", required_argument, NULL, 'i'}, {"max", required_argument, NULL, 'M'},
        {"min", required_argument, NULL, 'm'}, {"time", required_argument, NULL, 't'},
        {"no-multi", no_argument, NULL, 'n'},  {NULL, 0, NULL, 0}};
    const char *only_isa = NULL;
    size_t max_bytes = 256u << 20, min_bytes = 4u << 10;
    int multi = 1, opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            only_isa = optarg;
            break;
        case 'M':
            max_bytes = strtoull(optarg, NULL, 0);
            break;
        case 'm':
            min_bytes = strtoull(optarg, NULL, 0);
            break;
        case 't':
            min_time = atof(optarg);
            break;
        case 'n':
            multi = 0;
            break;
        default:
            fprintf(stderr,
                    "usage: %s [--isa NAME] [--min BYTES] [--max BYTES] [--time SEC] "
                    "[--no-multi]\n",
                    argv[0]);
            return 2;
        }
    }
    if (min_bytes < 64 || max_bytes < min_bytes) {
        fprintf(stderr, "reduce_bench: need 64 <= --min <= --max\n");
        return 2;
    }
    for (int i = 0; i <= MAX_INPUTS; i++) {
        bufs[i] = aligned_alloc(4096, (max_bytes + 4095) / 4096 * 4096);
        if (bufs[i] == NULL) {
            fprintf(stderr, "reduce_bench: cannot allocate %d x %zu bytes\n", MAX_INPUTS + 1,
                    max_bytes);
            return 1;
        }
        if (i < MAX_INPUTS)
            srcs[i] = bufs[i];
    }

    printf("# weft reduce_bench: GB/s (1e9 B/s) of dst bytes; memcpy timed in the same row;\n"
           "# ratio = reduce / memcpy; multiN = weft__reduce_multi with N inputs\n");
    printf("%-7s %-9s %-4s %7s %8s %8s %8s %6s", "# isa", "dtype", "op", "size", "reduce",
           "inplace", "memcpy", "ratio");
    for (int n = 2; multi && n <= MAX_INPUTS; n++)
        printf("  multi%d", n);
    printf("\n");
    static const char *const isas[] = {"generic", "avx", "avx2", "avx512"};
    for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
        if (only_isa != NULL && strcmp(only_isa, isas[i]) != 0)
            continue;
        if (weft__reduce_force_isa(isas[i]) != 0) {
            printf("# %s: skipped, this CPU lacks it\n", isas[i]);
            continue;
        }
        bench_isa(isas[i], min_bytes, max_bytes, multi);
    }
    for (int i = 0; i <= MAX_INPUTS; i++)
        free(bufs[i]);
    return 0;
}
