/*
 * The data pattern of the benchmarks and its check.
 *
 * Rank r puts a small integer v(r, i) at element i of its input. Small
 * integers survive every element type exactly, and sums and products of a few
 * of them stay exact in floating point (a float32 holds every integer up to
 * 2^24, a float16 up to 2048, a bfloat16 up to 256), so the expected output
 * is computed here, without any library, in 64-bit integers, and compared
 * with the library's output bit for bit: there is no tolerance to choose,
 * and any wrong, missing or doubled contribution shows.
 *
 * For sums (and averages), v is in 1..8 and never 0, so a missing
 * contribution always changes the result. For products, v is 1 or 2 with a
 * 2 every eighth element. For min, max and the collectives that only move
 * data, v is in 0..63 and rank r's values are shifted by 37 r, so that a
 * block from the wrong rank shows. Integer types wrap modulo 2^k as the
 * libraries do. An average is the exact sum, wrapped or converted to the
 * type, then divided once as the type divides (truncating for integers; in
 * float32 for float16 and bfloat16, then rounded to nearest even): the
 * rounding conversions below are written here, independently of weft's.
 */
#include <math.h>
#include <string.h>

#include "bench_internal.h"

static int64_t bench_value(const bench_opts_t *opts, bench_op_t op, int rank, size_t i)
{
    uint64_t r = (uint64_t)rank;
    int reduces = opts->coll == BENCH_ALLREDUCE || opts->coll == BENCH_REDUCESCATTER ||
                  opts->coll == BENCH_REDUCE;

    if (!reduces)
        return (int64_t)((r * 37 + i * 11) % 64);
    switch (op) {
    case BENCH_SUM:
    case BENCH_AVG: return 1 + (int64_t)((r * 5 + i * 3) % 8);
    case BENCH_PROD: return ((r + i) % 8 == 0) ? 2 : 1;
    default: return (int64_t)((r * 37 + i * 11) % 64);
    }
}

/* IEEE half nearest to x (ties to even), by scaling to the half's quantum. */
static uint16_t bench_half_from_double(double x)
{
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    double a = fabs(x);
    int ex;

    if (isnan(x))
        return 0x7e00;
    if (a == 0)
        return sign;
    frexp(a, &ex); /* a = m * 2^ex, m in [0.5, 1) */
    int e = ex - 1;
    double quantum = ldexp(1.0, e < -14 ? -24 : e - 10);
    double q = nearbyint(a / quantum); /* the default rounding: to nearest even */
    if (e < -14)
        return (uint16_t)(sign | (uint16_t)q); /* q == 1024 is the smallest normal */
    if (q == 2048) {
        q = 1024;
        e++;
    }
    if (e + 15 >= 31)
        return sign | 0x7c00;
    return (uint16_t)(sign | ((e + 15) << 10) | ((uint16_t)q - 1024));
}

/* bfloat16 nearest to a float: the top half of its bits, rounded. */
static uint16_t bench_bf16_from_float(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    if (isnan(f))
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* Stores the value v as element i of buf, in the element type. */
static void bench_store(bench_type_t type, void *buf, size_t i, double v)
{
    switch (type) {
    case BENCH_INT8: ((int8_t *)buf)[i] = (int8_t)(int64_t)v; break;
    case BENCH_UINT8: ((uint8_t *)buf)[i] = (uint8_t)(int64_t)v; break;
    case BENCH_INT32: ((int32_t *)buf)[i] = (int32_t)(int64_t)v; break;
    case BENCH_UINT32: ((uint32_t *)buf)[i] = (uint32_t)(int64_t)v; break;
    case BENCH_INT64: ((int64_t *)buf)[i] = (int64_t)v; break;
    case BENCH_UINT64: ((uint64_t *)buf)[i] = (uint64_t)(int64_t)v; break;
    case BENCH_FLOAT16: ((uint16_t *)buf)[i] = bench_half_from_double(v); break;
    case BENCH_BFLOAT16: ((uint16_t *)buf)[i] = bench_bf16_from_float((float)v); break;
    case BENCH_FLOAT32: ((float *)buf)[i] = (float)v; break;
    default: ((double *)buf)[i] = v; break;
    }
}

/* The exact sum s divided by n as the type divides. */
static double bench_average(bench_type_t type, int64_t s, int n)
{
    switch (type) {
    case BENCH_INT8: return (double)((int8_t)s / n);
    case BENCH_UINT8: return (double)((uint8_t)s / (unsigned)n);
    case BENCH_INT32: return (double)((int32_t)s / n);
    case BENCH_UINT32: return (double)((uint32_t)s / (unsigned)n);
    case BENCH_INT64: return (double)(s / n);
    case BENCH_UINT64: return (double)((uint64_t)s / (unsigned)n);
    case BENCH_FLOAT64: return (double)s / n;
    default: return (double)((float)s / (float)n); /* float32, and the halves via float32 */
    }
}

static int64_t bench_combine(bench_op_t op, int64_t a, int64_t b)
{
    switch (op) {
    case BENCH_PROD: return a * b;
    case BENCH_MIN: return a < b ? a : b;
    case BENCH_MAX: return a > b ? a : b;
    default: return a + b; /* sum, and avg before its division */
    }
}

/* The reduction over all ranks of their element i. */
static double bench_reduced(const bench_opts_t *opts, const bench_size_t *size, int nranks,
                            size_t i)
{
    int64_t acc = bench_value(opts, size->op, 0, i);

    for (int r = 1; r < nranks; r++)
        acc = bench_combine(size->op, acc, bench_value(opts, size->op, r, i));
    return size->op == BENCH_AVG ? bench_average(size->type, acc, nranks) : (double)acc;
}

int bench_fill_input(const bench_opts_t *opts, const bench_size_t *size, int rank, int nranks,
                     void *send)
{
    if (opts->coll == BENCH_BROADCAST && rank != size->root)
        return 0; /* only the root's send buffer is read */
    for (size_t i = 0; i < size->send_count; i++)
        bench_store(size->type, send, i, (double)bench_value(opts, size->op, rank, i));
    return 1;
}

/* The value element j of rank's output must have. */
static double bench_expected(const bench_opts_t *opts, const bench_size_t *size, int rank,
                             int nranks, size_t j)
{
    switch (opts->coll) {
    case BENCH_ALLGATHER:
        return (double)bench_value(opts, size->op, (int)(j / size->send_count),
                                   j % size->send_count);
    case BENCH_REDUCESCATTER:
        return bench_reduced(opts, size, nranks, (size_t)rank * size->recv_count + j);
    case BENCH_BROADCAST: return (double)bench_value(opts, size->op, size->root, j);
    case BENCH_SENDRECV: return (double)bench_value(opts, size->op, (rank + nranks - 1) % nranks, j);
    default: return bench_reduced(opts, size, nranks, j); /* allreduce, reduce */
    }
}

uint64_t bench_count_wrong(const bench_opts_t *opts, const bench_size_t *size, int rank,
                           int nranks, const void *result)
{
    size_t elem = bench_type_size(size->type);
    const unsigned char *got = result;
    unsigned char want[sizeof(double)];
    uint64_t wrong = 0;

    if (opts->coll == BENCH_REDUCE && rank != size->root)
        return 0; /* only the root receives */
    for (size_t j = 0; j < size->recv_count; j++) {
        bench_store(size->type, want, 0, bench_expected(opts, size, rank, nranks, j));
        if (memcmp(want, got + j * elem, elem) != 0)
            wrong++;
    }
    return wrong;
}
