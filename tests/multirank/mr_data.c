/*
 * mr_data.c - value tables, fill and reference results (see mr_data.h).
 *
 * The reference works on "wide" values: floats as double (every value and
 * every partial result of the tables is exact there), integers as uint64_t
 * holding the sign- or zero-extended value (sums and products modulo 2^64
 * have the right low bits for every narrower type).  The result is then
 * narrowed to the type; AVG divides the way weft documents: integers with C
 * truncating division of the wrapped sum, float32/float64 in the type,
 * float16/bfloat16 in float32 then rounded to nearest even.
 */
#include "multirank/mr_data.h"
#include "reduce/half.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TABLE_BITS 12
#define TABLE_SIZE (1u << TABLE_BITS)

typedef struct {
    uint64_t bits; /* the element, little-endian in the low esize bytes */
    union {
        double f;
        uint64_t u;
        int64_t s;
    } wide;
} entry_t;

static entry_t tables[WEFT_NUM_DATATYPES][MR_NUM_VALS][TABLE_SIZE];

static const struct {
    const char *name;
    size_t size;
    int is_float, is_signed;
} dtypes[WEFT_NUM_DATATYPES] = {
    [WEFT_INT8] = {"int8", 1, 0, 1},       [WEFT_UINT8] = {"uint8", 1, 0, 0},
    [WEFT_INT32] = {"int32", 4, 0, 1},     [WEFT_UINT32] = {"uint32", 4, 0, 0},
    [WEFT_INT64] = {"int64", 8, 0, 1},     [WEFT_UINT64] = {"uint64", 8, 0, 0},
    [WEFT_FLOAT16] = {"float16", 2, 1, 1}, [WEFT_BFLOAT16] = {"bfloat16", 2, 1, 1},
    [WEFT_FLOAT32] = {"float32", 4, 1, 1}, [WEFT_FLOAT64] = {"float64", 8, 1, 1},
};

static const char *const op_names[WEFT_NUM_OPS] = {"sum", "prod", "min", "max", "avg"};

size_t mr_dtype_size(weft_datatype_t dt)
{
    return dtypes[dt].size;
}
const char *mr_dtype_name(weft_datatype_t dt)
{
    return dtypes[dt].name;
}
const char *mr_op_name(weft_op_t op)
{
    return op_names[op];
}

int mr_dtype_parse(const char *name, weft_datatype_t *dt_p)
{
    for (int d = 0; d < WEFT_NUM_DATATYPES; d++) {
        if (strcmp(name, dtypes[d].name) == 0) {
            *dt_p = (weft_datatype_t)d;
            return 0;
        }
    }
    return -1;
}

int mr_op_parse(const char *name, weft_op_t *op_p)
{
    for (int o = 0; o < WEFT_NUM_OPS; o++) {
        if (strcmp(name, op_names[o]) == 0) {
            *op_p = (weft_op_t)o;
            return 0;
        }
    }
    return -1;
}

mr_vals_t mr_vals_for_op(weft_op_t op)
{
    switch (op) {
    case WEFT_PROD:
        return MR_VALS_PROD;
    case WEFT_MIN:
    case WEFT_MAX:
        return MR_VALS_MINMAX;
    default:
        return MR_VALS_SUM;
    }
}

uint64_t mr_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static double bits_to_double(weft_datatype_t dt, uint64_t bits)
{
    switch (dt) {
    case WEFT_FLOAT16:
        return weft__half_to_float((uint16_t)bits);
    case WEFT_BFLOAT16:
        return weft__bf16_to_float((uint16_t)bits);
    case WEFT_FLOAT32: {
        float f;
        uint32_t u = (uint32_t)bits;
        memcpy(&f, &u, 4);
        return f;
    }
    default: {
        double d;
        memcpy(&d, &bits, 8);
        return d;
    }
    }
}

/* The bits of an exactly representable double in a float type. */
static uint64_t double_to_bits(weft_datatype_t dt, double v)
{
    switch (dt) {
    case WEFT_FLOAT16:
        return weft__float_to_half((float)v);
    case WEFT_BFLOAT16:
        return weft__float_to_bf16((float)v);
    case WEFT_FLOAT32: {
        float f = (float)v;
        uint32_t u;
        memcpy(&u, &f, 4);
        return u;
    }
    default: {
        uint64_t u;
        memcpy(&u, &v, 8);
        return u;
    }
    }
}

static uint64_t int_wide(weft_datatype_t dt, uint64_t bits)
{
    unsigned shift = 64 - 8 * (unsigned)dtypes[dt].size;
    if (shift == 0)
        return bits;
    bits &= ~0ull >> shift;
    if (dtypes[dt].is_signed)
        return (uint64_t)((int64_t)(bits << shift) >> shift);
    return bits;
}

static int float_is_nan(weft_datatype_t dt, double v, uint64_t bits)
{
    (void)dt;
    (void)bits;
    return v != v;
}

/* A float value for the SUM table: k * 2^-frac with |k| <= kmax. */
static double sum_value(weft_datatype_t dt, uint64_t r)
{
    int64_t kmax;
    int frac;
    switch (dt) {
    case WEFT_FLOAT16:
        kmax = 127, frac = 2;
        break;
    case WEFT_BFLOAT16:
        kmax = 15, frac = 1;
        break;
    case WEFT_FLOAT32:
        kmax = (1 << 19) - 1, frac = 6;
        break;
    default:
        kmax = (1ll << 48) - 1, frac = 10;
        break;
    }
    int64_t k = (int64_t)(r % (uint64_t)(2 * kmax + 1)) - kmax;
    double scale = 1.0;
    for (int i = 0; i < frac; i++)
        scale /= 2;
    return (double)k * scale;
}

static double prod_value(uint64_t r)
{
    static const double vals[] = {1, 1, 1,  1,  1, 1, 1,   1,   1,  1,
                                  1, 1, -1, -1, 2, 2, 0.5, 0.5, -2, -0.5};
    if (r % 256 == 0)
        return (r >> 8) & 1 ? -0.0 : 0.0;
    return vals[(r >> 8) % (sizeof(vals) / sizeof(vals[0]))];
}

static entry_t make_entry(weft_datatype_t dt, mr_vals_t vals, uint64_t r)
{
    entry_t e;
    size_t es = dtypes[dt].size;
    uint64_t mask = es == 8 ? ~0ull : (1ull << (8 * es)) - 1;
    if (!dtypes[dt].is_float) {
        e.bits = (vals == MR_VALS_PROD ? r | 1 : r) & mask;
        e.wide.u = int_wide(dt, e.bits);
        return e;
    }
    switch (vals) {
    case MR_VALS_SUM:
        e.wide.f = sum_value(dt, r);
        break;
    case MR_VALS_PROD:
        e.wide.f = prod_value(r);
        break;
    case MR_VALS_RAW:
        e.bits = r & mask;
        e.wide.f = bits_to_double(dt, e.bits);
        return e;
    default:
        /* Random bits, redrawn while NaN or -0. */
        for (;;) {
            e.bits = r & mask;
            e.wide.f = bits_to_double(dt, e.bits);
            if (!float_is_nan(dt, e.wide.f, e.bits) && e.bits != (1ull << (8 * es - 1)))
                return e;
            r = mr_mix64(r);
        }
    }
    e.bits = double_to_bits(dt, e.wide.f);
    return e;
}

void mr_data_init(void)
{
    for (int d = 0; d < WEFT_NUM_DATATYPES; d++) {
        for (int v = 0; v < MR_NUM_VALS; v++) {
            uint64_t seed = mr_mix64(((uint64_t)d << 8) | (uint64_t)v);
            for (uint32_t i = 0; i < TABLE_SIZE; i++)
                tables[d][v][i] = make_entry((weft_datatype_t)d, (mr_vals_t)v, mr_mix64(seed + i));
        }
    }
}

static inline uint32_t index_of(int p, size_t i, uint32_t salt)
{
    uint32_t h = (uint32_t)i * 0x9e3779b1u ^ ((uint32_t)p * 0x85ebca77u + salt);
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h & (TABLE_SIZE - 1);
}

void mr_fill(void *buf, size_t count, size_t first, weft_datatype_t dt, mr_vals_t vals, int p,
             uint32_t salt)
{
    const entry_t *t = tables[dt][vals];
    switch (dtypes[dt].size) {
    case 1:
        for (size_t j = 0; j < count; j++)
            ((uint8_t *)buf)[j] = (uint8_t)t[index_of(p, first + j, salt)].bits;
        break;
    case 2:
        for (size_t j = 0; j < count; j++)
            ((uint16_t *)buf)[j] = (uint16_t)t[index_of(p, first + j, salt)].bits;
        break;
    case 4:
        for (size_t j = 0; j < count; j++)
            ((uint32_t *)buf)[j] = (uint32_t)t[index_of(p, first + j, salt)].bits;
        break;
    default:
        for (size_t j = 0; j < count; j++)
            ((uint64_t *)buf)[j] = t[index_of(p, first + j, salt)].bits;
        break;
    }
}

static void store(void *out, size_t j, size_t es, uint64_t bits)
{
    switch (es) {
    case 1:
        ((uint8_t *)out)[j] = (uint8_t)bits;
        break;
    case 2:
        ((uint16_t *)out)[j] = (uint16_t)bits;
        break;
    case 4:
        ((uint32_t *)out)[j] = (uint32_t)bits;
        break;
    default:
        ((uint64_t *)out)[j] = bits;
        break;
    }
}

static uint64_t reduce_int(const entry_t *t, weft_datatype_t dt, weft_op_t op, size_t i, int nranks,
                           uint32_t salt)
{
    const entry_t *e0 = &t[index_of(0, i, salt)];
    uint64_t acc = e0->wide.u, best_bits = e0->bits;
    int is_signed = dtypes[dt].is_signed;
    for (int p = 1; p < nranks; p++) {
        const entry_t *e = &t[index_of(p, i, salt)];
        switch (op) {
        case WEFT_SUM:
        case WEFT_AVG:
            acc += e->wide.u;
            break;
        case WEFT_PROD:
            acc *= e->wide.u;
            break;
        case WEFT_MIN:
            if (is_signed ? e->wide.s < (int64_t)acc : e->wide.u < acc)
                acc = e->wide.u, best_bits = e->bits;
            break;
        case WEFT_MAX:
            if (is_signed ? e->wide.s > (int64_t)acc : e->wide.u > acc)
                acc = e->wide.u, best_bits = e->bits;
            break;
        }
    }
    if (op == WEFT_MIN || op == WEFT_MAX)
        return best_bits;
    acc = int_wide(dt, acc); /* wrap to the type */
    if (op == WEFT_AVG) {
        if (is_signed)
            acc = (uint64_t)((int64_t)acc / (int64_t)nranks);
        else
            acc = acc / (uint64_t)nranks;
    }
    return acc;
}

static uint64_t avg_float(weft_datatype_t dt, double sum, int nranks)
{
    if (dt == WEFT_FLOAT64)
        return double_to_bits(dt, sum / (double)nranks);
    float q = (float)sum / (float)nranks; /* sum is exact in the type, hence in float */
    uint32_t u;
    switch (dt) {
    case WEFT_FLOAT16:
        return weft__float_to_half(q);
    case WEFT_BFLOAT16:
        return weft__float_to_bf16(q);
    default:
        memcpy(&u, &q, 4);
        return u;
    }
}

static uint64_t reduce_float(const entry_t *t, weft_datatype_t dt, weft_op_t op, size_t i,
                             int nranks, uint32_t salt)
{
    const entry_t *e0 = &t[index_of(0, i, salt)];
    double acc = e0->wide.f;
    uint64_t best_bits = e0->bits;
    for (int p = 1; p < nranks; p++) {
        const entry_t *e = &t[index_of(p, i, salt)];
        switch (op) {
        case WEFT_SUM:
        case WEFT_AVG:
            acc += e->wide.f;
            break;
        case WEFT_PROD:
            acc *= e->wide.f;
            break;
        case WEFT_MIN:
            if (e->wide.f < acc)
                acc = e->wide.f, best_bits = e->bits;
            break;
        case WEFT_MAX:
            if (e->wide.f > acc)
                acc = e->wide.f, best_bits = e->bits;
            break;
        }
    }
    if (op == WEFT_MIN || op == WEFT_MAX)
        return best_bits;
    if (op == WEFT_AVG)
        return avg_float(dt, acc, nranks);
    return double_to_bits(dt, acc);
}

void mr_expect_reduce(void *out, size_t count, size_t first, weft_datatype_t dt, weft_op_t op,
                      int nranks, uint32_t salt)
{
    const entry_t *t = tables[dt][mr_vals_for_op(op)];
    size_t es = dtypes[dt].size;
    if (dtypes[dt].is_float) {
        for (size_t j = 0; j < count; j++)
            store(out, j, es, reduce_float(t, dt, op, first + j, nranks, salt));
    } else {
        for (size_t j = 0; j < count; j++)
            store(out, j, es, reduce_int(t, dt, op, first + j, nranks, salt));
    }
}

size_t mr_first_diff(const void *a, const void *b, size_t count, size_t esize, size_t *ndiff_p)
{
    *ndiff_p = 0;
    if (count == 0 || memcmp(a, b, count * esize) == 0)
        return count;
    size_t first = count;
    const char *pa = a, *pb = b;
    for (size_t j = 0; j < count; j++) {
        if (memcmp(pa + j * esize, pb + j * esize, esize) != 0) {
            if (first == count)
                first = j;
            (*ndiff_p)++;
        }
    }
    return first;
}

void mr_format_elem(char *buf, size_t len, const void *elem, weft_datatype_t dt)
{
    size_t es = dtypes[dt].size;
    uint64_t bits = 0;
    memcpy(&bits, elem, es); /* little-endian host */
    if (dtypes[dt].is_float)
        snprintf(buf, len, "0x%0*" PRIx64 " (%.17g)", (int)(2 * es), bits,
                 bits_to_double(dt, bits));
    else if (dtypes[dt].is_signed)
        snprintf(buf, len, "0x%0*" PRIx64 " (%" PRId64 ")", (int)(2 * es), bits,
                 (int64_t)int_wide(dt, bits));
    else
        snprintf(buf, len, "0x%0*" PRIx64 " (%" PRIu64 ")", (int)(2 * es), bits, bits);
}
