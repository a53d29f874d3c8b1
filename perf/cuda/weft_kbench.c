/*
 * weft_kbench.c - weft-kbench: the multi-input reduction kernel against a
 * device-to-device copy of the same size, in the same run.
 *
 *   weft-kbench [-b BYTES] [-n INPUTS] [-d TYPE] [-o OP] [-r REPS] [-w WARMUP] [-I]
 *
 * Defaults: 256 MiB per buffer, 2 inputs, float32, sum, 20 timed
 * repetitions after 3 warm-up ones, out of place (-I: in place, the
 * output is input 0).  Each repetition times the kernel, then the copy,
 * with CUDA events on one stream, so that both see the same clocks and
 * the same thermal state; the medians are reported.
 *
 * Bytes are counted as memory traffic, reads plus writes: the kernel
 * reads INPUTS buffers and writes one, (INPUTS + 1) x BYTES; the copy
 * reads one and writes one, 2 x BYTES.  GB/s is 10^9 bytes per second.
 * The ratio of the two is what issue 4 asks to be at least 0.90 at
 * 256 MiB.  Exits 77 without a GPU.
 */
#include "cuda/cuda_reduce.h"
#include "reduce/reduce.h"

#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(call)                                                                                \
    do {                                                                                           \
        cudaError_t check_err_ = (call);                                                           \
        if (check_err_ != cudaSuccess) {                                                           \
            fprintf(stderr, "weft-kbench: %s: %s\n", #call, cudaGetErrorString(check_err_));       \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

typedef struct {
    size_t bytes;
    int ninputs, reps, warmup, in_place;
    weft_datatype_t dt;
    weft_op_t op;
} options_t;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float median(float *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_float);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t parse_bytes(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    double scale = *end == 'K' || *end == 'k'   ? 1024.0
                   : *end == 'M' || *end == 'm' ? 1048576.0
                   : *end == 'G' || *end == 'g' ? 1073741824.0
                                                : 1.0;
    return (size_t)(v * scale);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: weft-kbench [-b BYTES] [-n INPUTS 1..%d] [-d TYPE] [-o OP] [-r REPS] "
            "[-w WARMUP] [-I]\n",
            WEFT_CUDA_REDUCE_MAX_SRCS);
    exit(2);
}

/* The index of name among the n names that name_of gives, or usage. */
static int lookup(const char *name, int n, const char *(*name_of)(int))
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, name_of(i)) == 0)
            return i;
    usage();
    return -1;
}

static const char *dtype_name(int i)
{
    return weft__dtype_name((weft_datatype_t)i);
}
static const char *op_name(int i)
{
    return weft__op_name((weft_op_t)i);
}

static void parse(int argc, char **argv, options_t *o)
{
    *o = (options_t){256u << 20, 2, 20, 3, 0, WEFT_FLOAT32, WEFT_SUM};
    int c;
    while ((c = getopt(argc, argv, "b:n:d:o:r:w:Ih")) != -1) {
        switch (c) {
        case 'b':
            o->bytes = parse_bytes(optarg);
            break;
        case 'n':
            o->ninputs = atoi(optarg);
            break;
        case 'r':
            o->reps = atoi(optarg);
            break;
        case 'w':
            o->warmup = atoi(optarg);
            break;
        case 'I':
            o->in_place = 1;
            break;
        case 'd':
            o->dt = (weft_datatype_t)lookup(optarg, WEFT_NUM_DATATYPES, dtype_name);
            break;
        case 'o':
            o->op = (weft_op_t)lookup(optarg, WEFT_NUM_OPS, op_name);
            break;
        default:
            usage();
        }
    }
    if (o->ninputs < 1 || o->ninputs > WEFT_CUDA_REDUCE_MAX_SRCS || o->reps < 1 || o->warmup < 0 ||
        o->bytes == 0)
        usage();
}

int main(int argc, char **argv)
{
    options_t o;
    parse(argc, argv, &o);
    int ndev = 0;
    cudaError_t err = cudaGetDeviceCount(&ndev);
    if (err != cudaSuccess || ndev == 0) {
        printf("weft-kbench: SKIPPED: no usable GPU (%s)\n",
               err != cudaSuccess ? cudaGetErrorString(err) : "the driver reports none");
        return 77;
    }
    int device;
    struct cudaDeviceProp prop;
    CHECK(cudaGetDevice(&device));
    CHECK(cudaGetDeviceProperties(&prop, device));
    size_t size = weft__dtype_size(o.dt), count = o.bytes / size, bytes = count * size;
    void *in[WEFT_CUDA_REDUCE_MAX_SRCS], *out, *copy_dst;
    for (int s = 0; s < o.ninputs; s++) {
        CHECK(cudaMalloc(&in[s], bytes));
        CHECK(cudaMemset(in[s], 0x3c + s, bytes)); /* finite values in every float type */
    }
    CHECK(cudaMalloc(&out, bytes));
    CHECK(cudaMalloc(&copy_dst, bytes));
    void *dst = o.in_place ? in[0] : out;
    cudaStream_t stream;
    cudaEvent_t ev[3];
    CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    for (int e = 0; e < 3; e++)
        CHECK(cudaEventCreate(&ev[e]));
    float *t_reduce = calloc((size_t)o.reps, sizeof(float));
    float *t_copy = calloc((size_t)o.reps, sizeof(float));
    if (t_reduce == NULL || t_copy == NULL)
        return 1;
    for (int r = -o.warmup; r < o.reps; r++) {
        CHECK(cudaEventRecord(ev[0], stream));
        if (weft__cuda_reduce(dst, (const void *const *)in, o.ninputs, count, o.dt, o.op, stream) !=
            WEFT_OK) {
            fprintf(stderr, "weft-kbench: %s\n", weft_last_error());
            return 1;
        }
        CHECK(cudaEventRecord(ev[1], stream));
        CHECK(cudaMemcpyAsync(copy_dst, in[0], bytes, cudaMemcpyDeviceToDevice, stream));
        CHECK(cudaEventRecord(ev[2], stream));
        CHECK(cudaEventSynchronize(ev[2]));
        if (r >= 0) {
            CHECK(cudaEventElapsedTime(&t_reduce[r], ev[0], ev[1]));
            CHECK(cudaEventElapsedTime(&t_copy[r], ev[1], ev[2]));
        }
    }
    float ms_reduce = median(t_reduce, o.reps), ms_copy = median(t_copy, o.reps);
    double gb_reduce = (double)(o.ninputs + 1) * (double)bytes / (ms_reduce * 1e-3) / 1e9;
    double gb_copy = 2.0 * (double)bytes / (ms_copy * 1e-3) / 1e9;
    printf("# weft-kbench: %s (sm_%d%d, %d SMs), %s %s, %d input%s of %zu bytes, %s, "
           "median of %d\n",
           prop.name, prop.major, prop.minor, prop.multiProcessorCount, weft__dtype_name(o.dt),
           weft__op_name(o.op), o.ninputs, o.ninputs == 1 ? "" : "s", bytes,
           o.in_place ? "in place" : "out of place", o.reps);
    printf("# GB/s counts reads + writes: reduce %d x %zu bytes, copy 2 x %zu bytes\n",
           o.ninputs + 1, bytes, bytes);
    printf("%-10s %10s %10s\n", "kernel", "time_ms", "GB/s");
    printf("%-10s %10.3f %10.1f\n", "reduce", ms_reduce, gb_reduce);
    printf("%-10s %10.3f %10.1f\n", "d2d_copy", ms_copy, gb_copy);
    printf("ratio reduce/copy: %.3f (issue 4 target at 256 MiB: >= 0.90)\n", gb_reduce / gb_copy);
    free(t_reduce);
    free(t_copy);
    for (int e = 0; e < 3; e++)
        CHECK(cudaEventDestroy(ev[e]));
    CHECK(cudaStreamDestroy(stream));
    for (int s = 0; s < o.ninputs; s++)
        CHECK(cudaFree(in[s]));
    CHECK(cudaFree(out));
    CHECK(cudaFree(copy_dst));
    return 0;
}
