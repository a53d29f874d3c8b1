/*
 * test_reduce.c - the reduction kernels against a scalar reference.
 *
 * The reference below is written from reduce.h's semantics, element by
 * element with a plain switch, and converts float16/bfloat16 its own way
 * (ldexp and rint in double), so that it shares no code with the kernels.
 * For every instruction set this CPU can run (the others are reported as
 * skipped), every datatype and op is checked:
 *  - weft__reduce over counts around every vector width and chunk size,
 *    with each buffer at its own misalignment (0..3 elements, which for
 *    1-byte types are odd byte offsets), with dst separate, dst == a,
 *    dst == b and dst == a == b;
 *  - weft__reduce_multi with 1..9 inputs, aliased and repeated inputs;
 *  - weft__divide, including AVG of negative integers.
 * Inputs mix random values with NaNs (quiet, signalling, negative),
 * infinities, signed zeros, subnormals and integer extremes.  Results must
 * match bit for bit, except that a SUM or PROD whose result is NaN only
 * has to be a NaN (reduce.h leaves the payload open).  Guard bytes around
 * dst catch stray writes; inputs that are not dst must not change.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */

#include "reduce/reduce.h"
#include "util/config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static const char *cur_isa = "?";

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (failures++ < 25) {                                                                     \
            fprintf(stderr, "FAIL [%s] %s:%d: ", cur_isa, __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define GUARD 64
#define CANARY 0xa5
#define MAX_COUNT 10007
#define MAX_SRCS 9
#define ARENA_BYTES (GUARD + (MAX_COUNT + 4) * 8 + GUARD)

static const size_t counts[] = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 10007};
#define NCOUNTS (sizeof(counts) / sizeof(counts[0]))

/* --- the reference --------------------------------------------------------------- */

typedef union {
    int8_t i8;
    uint8_t u8;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    uint16_t h;
    float f32;
    double f64;
} val_t;

static const size_t sizes[WEFT_NUM_DATATYPES] = {1, 1, 4, 4, 8, 8, 2, 2, 4, 8};

static val_t load(weft_datatype_t dt, const unsigned char *p, size_t i)
{
    val_t v;
    memset(&v, 0, sizeof(v));
    memcpy(&v, p + i * sizes[dt], sizes[dt]);
    return v;
}

static void store(weft_datatype_t dt, unsigned char *p, size_t i, val_t v)
{
    memcpy(p + i * sizes[dt], &v, sizes[dt]);
}

static float ref_bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* float16 (mant_bits 10, bias 15) or bfloat16 (7, 127) to float. */
static float ref_widen(uint16_t x, int mant_bits, int bias)
{
    int e = (x & 0x7fff) >> mant_bits, m = x & ((1 << mant_bits) - 1),
        emax = (1 << (15 - mant_bits)) - 1;
    float sign = (x & 0x8000) ? -1.0f : 1.0f;
    if (e == emax && m != 0) /* NaN: any NaN with the sign; narrowing keeps the payload's top */
        return ref_bits_float(((uint32_t)(x & 0x8000) << 16) | 0x7fc00000u |
                              ((uint32_t)m << (23 - mant_bits)));
    if (e == emax)
        return sign * INFINITY;
    double v =
        e == 0 ? ldexp(m, 1 - bias - mant_bits) : ldexp((1 << mant_bits) + m, e - bias - mant_bits);
    return sign * (float)v;
}

/* float to float16/bfloat16: scale |f| so that one unit is the format's
 * step at its exponent, let rint() round to nearest even, and re-encode. */
static uint16_t ref_narrow(float f, int mant_bits, int bias)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint16_t inf = (uint16_t)(((1 << (15 - mant_bits)) - 1) << mant_bits);
    if (isnan(f))
        return (uint16_t)(sign | inf | (1 << (mant_bits - 1)) |
                          ((u & 0x7fffff) >> (23 - mant_bits)));
    if (isinf(f))
        return sign | inf;
    double a = fabs((double)f);
    int e;
    frexp(a, &e);
    e = e - 1 < 1 - bias ? 1 - bias : e - 1; /* subnormals share the smallest exponent */
    double q = rint(ldexp(a, mant_bits - e));
    if (ldexp(q, e - mant_bits) >= ldexp(1, bias + 1))
        return sign | inf;
    if (q < (1 << mant_bits)) /* subnormal (or zero) */
        return (uint16_t)(sign | (uint16_t)q);
    if (q >= (2 << mant_bits)) /* rounded up into the next binade */
        q /= 2, e++;
    return (uint16_t)(sign | ((e + bias) << mant_bits) | ((uint16_t)q - (1 << mant_bits)));
}

static float widen(weft_datatype_t dt, uint16_t x)
{
    return dt == WEFT_FLOAT16 ? ref_widen(x, 10, 15) : ref_widen(x, 7, 127);
}

static uint16_t narrow(weft_datatype_t dt, float f)
{
    return dt == WEFT_FLOAT16 ? ref_narrow(f, 10, 15) : ref_narrow(f, 7, 127);
}

static float ref_float_op(weft_op_t op, float x, float y)
{
    switch (op) {
    case WEFT_SUM:
    case WEFT_AVG:
        return x + y;
    case WEFT_PROD:
        return x * y;
    case WEFT_MIN:
        return x < y ? x : y;
    case WEFT_MAX:
        return x > y ? x : y;
    }
    return 0;
}

static double ref_double_op(weft_op_t op, double x, double y)
{
    switch (op) {
    case WEFT_SUM:
    case WEFT_AVG:
        return x + y;
    case WEFT_PROD:
        return x * y;
    case WEFT_MIN:
        return x < y ? x : y;
    case WEFT_MAX:
        return x > y ? x : y;
    }
    return 0;
}

/* Integers: SUM and PROD in uint64_t (wrapping), truncated by store();
 * MIN and MAX on the values sign- or zero-extended to 64 bits. */
static val_t ref_int_op(weft_datatype_t dt, weft_op_t op, val_t x, val_t y)
{
    int64_t sx, sy;
    uint64_t ux, uy;
    switch (dt) {
    case WEFT_INT8:
        sx = x.i8, sy = y.i8;
        break;
    case WEFT_INT32:
        sx = x.i32, sy = y.i32;
        break;
    case WEFT_INT64:
        sx = x.i64, sy = y.i64;
        break;
    case WEFT_UINT8:
        sx = x.u8, sy = y.u8;
        break;
    case WEFT_UINT32:
        sx = x.u32, sy = y.u32;
        break;
    default:
        sx = 0, sy = 0;
        break;
    }
    int is_signed = dt == WEFT_INT8 || dt == WEFT_INT32 || dt == WEFT_INT64;
    ux = dt == WEFT_UINT64 ? x.u64 : (uint64_t)sx;
    uy = dt == WEFT_UINT64 ? y.u64 : (uint64_t)sy;
    val_t r;
    switch (op) {
    case WEFT_SUM:
    case WEFT_AVG:
        r.u64 = ux + uy;
        break;
    case WEFT_PROD:
        r.u64 = ux * uy;
        break;
    case WEFT_MIN:
        r.u64 = (is_signed ? sx < sy : ux < uy) ? ux : uy;
        break;
    case WEFT_MAX:
        r.u64 = (is_signed ? sx > sy : ux > uy) ? ux : uy;
        break;
    default:
        r.u64 = 0;
    }
    val_t out;
    memset(&out, 0, sizeof(out));
    memcpy(&out, &r, sizes[dt]); /* little-endian: the low bytes */
    return out;
}

static val_t ref_op(weft_datatype_t dt, weft_op_t op, val_t x, val_t y)
{
    val_t r;
    memset(&r, 0, sizeof(r));
    switch (dt) {
    case WEFT_FLOAT32:
        r.f32 = ref_float_op(op, x.f32, y.f32);
        return r;
    case WEFT_FLOAT64:
        r.f64 = ref_double_op(op, x.f64, y.f64);
        return r;
    case WEFT_FLOAT16:
    case WEFT_BFLOAT16:
        r.h = narrow(dt, ref_float_op(op, widen(dt, x.h), widen(dt, y.h)));
        return r;
    default:
        return ref_int_op(dt, op, x, y);
    }
}

static int is_nan(weft_datatype_t dt, val_t v)
{
    switch (dt) {
    case WEFT_FLOAT32:
        return isnan(v.f32);
    case WEFT_FLOAT64:
        return isnan(v.f64);
    case WEFT_FLOAT16:
        return (v.h & 0x7c00) == 0x7c00 && (v.h & 0x3ff);
    case WEFT_BFLOAT16:
        return (v.h & 0x7f80) == 0x7f80 && (v.h & 0x7f);
    default:
        return 0;
    }
}

static int same(weft_datatype_t dt, weft_op_t op, val_t got, val_t want)
{
    if (memcmp(&got, &want, sizes[dt]) == 0)
        return 1;
    int arith = op == WEFT_SUM || op == WEFT_PROD || op == WEFT_AVG;
    return arith && is_nan(dt, got) && is_nan(dt, want);
}

static uint64_t bits_of(weft_datatype_t dt, val_t v)
{
    uint64_t u = 0;
    memcpy(&u, &v, sizes[dt]);
    return u;
}

/* --- inputs ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng64(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const uint64_t specials_f32[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
                                        0x7f800001, 0xffc00123, 0x7fa00000, 0x00000001, 0x807fffff,
                                        0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000};
static const uint64_t specials_f64[] = {0,
                                        0x8000000000000000ull,
                                        0x7ff0000000000000ull,
                                        0xfff0000000000000ull,
                                        0x7ff8000000000000ull,
                                        0x7ff0000000000001ull,
                                        0xfff8000000000123ull,
                                        1,
                                        0x800fffffffffffffull,
                                        0x7fefffffffffffffull,
                                        0x3ff0000000000000ull,
                                        0xbff0000000000000ull};
static const uint64_t specials_f16[] = {0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe01,
                                        0x0001, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c00, 0x7800};
static const uint64_t specials_bf16[] = {0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffc1,
                                         0x0001, 0x807f, 0x0080, 0x7f7f, 0xff7f, 0x3f80, 0x7f00};
static const uint64_t specials_int[] = {0,
                                        1,
                                        0xffffffffffffffffull,
                                        0x80ull,
                                        0x7full,
                                        0x80000000ull,
                                        0x7fffffffull,
                                        0x8000000000000000ull,
                                        0x7fffffffffffffffull,
                                        0xfffffffffffffffeull,
                                        2};

/* One input value: a special one time in eight, otherwise random - with
 * float32/float64 kept to moderate exponents so that sums and products
 * mean something (random bits would be mostly huge or tiny). */
static val_t random_value(weft_datatype_t dt)
{
    const uint64_t *sp;
    size_t nsp;
    switch (dt) {
    case WEFT_FLOAT32:
        sp = specials_f32, nsp = sizeof(specials_f32) / 8;
        break;
    case WEFT_FLOAT64:
        sp = specials_f64, nsp = sizeof(specials_f64) / 8;
        break;
    case WEFT_FLOAT16:
        sp = specials_f16, nsp = sizeof(specials_f16) / 8;
        break;
    case WEFT_BFLOAT16:
        sp = specials_bf16, nsp = sizeof(specials_bf16) / 8;
        break;
    default:
        sp = specials_int, nsp = sizeof(specials_int) / 8;
        break;
    }
    uint64_t r = rng64(), u;
    if ((r & 7) == 0)
        u = sp[(r >> 3) % nsp];
    else if (dt == WEFT_FLOAT32)
        u = (r >> 8 & 0x807fffffu) | (uint64_t)(127 - 30 + (r >> 40) % 60) << 23;
    else if (dt == WEFT_FLOAT64)
        u = (rng64() & 0x800fffffffffffffull) | (uint64_t)(1023 - 200 + (r >> 40) % 400) << 52;
    else
        u = rng64();
    val_t v;
    memset(&v, 0, sizeof(v));
    memcpy(&v, &u, sizes[dt]);
    return v;
}

/* Two pools of inputs per datatype; cases copy from them. */
static unsigned char *pool[WEFT_NUM_DATATYPES][MAX_SRCS];

static void make_pools(void)
{
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++) {
        for (int s = 0; s < MAX_SRCS; s++) {
            pool[dt][s] = malloc((MAX_COUNT + 4) * 8);
            for (size_t i = 0; i < MAX_COUNT + 4; i++)
                store(dt, pool[dt][s], i, random_value(dt));
        }
    }
}

/* --- buffers with guards ------------------------------------------------------------ */

/* Arenas 0..MAX_SRCS-1 hold inputs, arena MAX_SRCS the separate dst.  Only
 * the extent a case can touch, guards included, is reset and checked. */
static unsigned char *arena[MAX_SRCS + 1];
static size_t arena_extent;

static void arenas_reset(weft_datatype_t dt, size_t count)
{
    arena_extent = 2 * GUARD + (count + 4) * sizes[dt];
    for (int i = 0; i <= MAX_SRCS; i++)
        memset(arena[i], CANARY, arena_extent);
}

/* Element `off` of arena `which`, past the front guard. */
static unsigned char *arena_at(int which, weft_datatype_t dt, size_t off)
{
    return arena[which] + GUARD + off * sizes[dt];
}

/* 1 if the guards around the np buffers listed (each in its own arena,
 * each `bytes` long; repeats allowed) are all still canary: the bytes of
 * their arenas' extent before and after them. */
static int guards_intact(const unsigned char *const *p, int np, size_t bytes)
{
    for (int k = 0; k < np; k++) {
        for (int i = 0; i <= MAX_SRCS; i++) {
            if (p[k] < arena[i] || p[k] >= arena[i] + arena_extent)
                continue;
            size_t lo = (size_t)(p[k] - arena[i]), hi = lo + bytes;
            for (size_t j = 0; j < arena_extent; j++) {
                if ((j < lo || j >= hi) && arena[i][j] != CANARY)
                    return 0;
                if (j == lo && hi > lo)
                    j = hi - 1; /* skip the buffer itself */
            }
        }
    }
    return 1;
}

static int check_result(const char *what, weft_datatype_t dt, weft_op_t op, size_t count,
                        const unsigned char *got, const unsigned char *want, const char *how)
{
    for (size_t i = 0; i < count; i++) {
        val_t g = load(dt, got, i), w = load(dt, want, i);
        if (!same(dt, op, g, w)) {
            FAIL("%s %s %s count %zu %s: [%zu] = 0x%llx, want 0x%llx", what, weft__dtype_name(dt),
                 weft__op_name(op), count, how, i, (unsigned long long)bits_of(dt, g),
                 (unsigned long long)bits_of(dt, w));
            return 0;
        }
    }
    return 1;
}

/* --- weft__reduce ------------------------------------------------------------------ */

enum { DST_APART, DST_IS_A, DST_IS_B, DST_IS_A_IS_B, NALIAS };
static const char *const alias_names[NALIAS] = {"dst apart", "dst==a", "dst==b", "dst==a==b"};

static unsigned char want_buf[(MAX_COUNT + 4) * 8];
static long cases;

static void reduce_case(weft_datatype_t dt, weft_op_t op, size_t count, int off, int alias)
{
    size_t sz = sizes[dt], oa = (size_t)off, ob = (size_t)(off + 1) % 4, od = (size_t)(off + 3) % 4;
    arenas_reset(dt, count);
    const unsigned char *pa = pool[dt][0], *pb = alias == DST_IS_A_IS_B ? pa : pool[dt][1];
    unsigned char *a = arena_at(0, dt, oa);
    unsigned char *b = alias == DST_IS_A_IS_B ? a : arena_at(1, dt, ob);
    unsigned char *dst = alias == DST_APART  ? arena_at(MAX_SRCS, dt, od)
                         : alias == DST_IS_B ? b
                                             : a;
    memcpy(a, pa, count * sz);
    memcpy(b, pb, count * sz);

    weft__reduce(dst, a, b, count, dt, op);
    cases++;

    for (size_t i = 0; i < count; i++)
        store(dt, want_buf, i, ref_op(dt, op, load(dt, pa, i), load(dt, pb, i)));
    char how[96];
    snprintf(how, sizeof(how), "(%s, offsets a %zu b %zu dst %zu)", alias_names[alias], oa, ob, od);
    check_result("reduce", dt, op, count, dst, want_buf, how);
    if ((a != dst && memcmp(a, pa, count * sz) != 0) ||
        (b != dst && memcmp(b, pb, count * sz) != 0))
        FAIL("reduce %s %s count %zu %s: an input changed", weft__dtype_name(dt), weft__op_name(op),
             count, how);
    const unsigned char *bufs[3] = {a, b, dst};
    if (!guards_intact(bufs, 3, count * sz))
        FAIL("reduce %s %s count %zu %s: wrote outside the buffers", weft__dtype_name(dt),
             weft__op_name(op), count, how);
}

static void test_reduce(void)
{
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++)
        for (int op = 0; op < WEFT_NUM_OPS; op++)
            for (size_t c = 0; c < NCOUNTS; c++)
                for (int off = 0; off < 4; off++)
                    for (int alias = 0; alias < NALIAS; alias++)
                        reduce_case(dt, op, counts[c], off, alias);
}

/* --- weft__reduce_multi ------------------------------------------------------------ */

enum { M_APART, M_DST_IS_FIRST, M_DST_IS_LAST, M_REPEATED, M_NALIAS };
static const char *const multi_alias_names[M_NALIAS] = {"dst apart", "dst==srcs[0]",
                                                        "dst==srcs[last]", "srcs repeated"};

/* The left-to-right fold; float16/bfloat16 accumulate in float32. */
static void multi_reference(weft_datatype_t dt, weft_op_t op, const unsigned char *const *in,
                            int nsrcs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        val_t acc = load(dt, in[0], i);
        if (nsrcs > 1 && (dt == WEFT_FLOAT16 || dt == WEFT_BFLOAT16)) {
            float f = widen(dt, acc.h);
            for (int s = 1; s < nsrcs; s++)
                f = ref_float_op(op, f, widen(dt, load(dt, in[s], i).h));
            acc.h = narrow(dt, f);
        } else {
            for (int s = 1; s < nsrcs; s++)
                acc = ref_op(dt, op, acc, load(dt, in[s], i));
        }
        store(dt, want_buf, i, acc);
    }
}

static void multi_case(weft_datatype_t dt, weft_op_t op, int nsrcs, size_t count, int alias)
{
    size_t sz = sizes[dt];
    const unsigned char *in[MAX_SRCS]; /* what each input holds, from the pools */
    const void *srcs[MAX_SRCS];
    arenas_reset(dt, count);
    for (int s = 0; s < nsrcs; s++) {
        /* Repeated: every odd input is the same buffer as the one before. */
        if (alias == M_REPEATED && s % 2 == 1) {
            srcs[s] = srcs[s - 1], in[s] = in[s - 1];
            continue;
        }
        unsigned char *p = arena_at(s, dt, (size_t)s % 4);
        memcpy(p, pool[dt][s], count * sz);
        srcs[s] = p, in[s] = pool[dt][s];
    }
    void *dst = alias == M_DST_IS_FIRST  ? (void *)srcs[0]
                : alias == M_DST_IS_LAST ? (void *)srcs[nsrcs - 1]
                                         : arena_at(MAX_SRCS, dt, 1);

    weft__reduce_multi(dst, srcs, nsrcs, count, dt, op);
    cases++;

    multi_reference(dt, op, in, nsrcs, count);
    char how[96];
    snprintf(how, sizeof(how), "(%d inputs, %s)", nsrcs, multi_alias_names[alias]);
    check_result("reduce_multi", dt, op, count, dst, want_buf, how);
    const unsigned char *bufs[MAX_SRCS + 1];
    for (int s = 0; s < nsrcs; s++) {
        bufs[s] = srcs[s];
        if (srcs[s] != dst && memcmp(srcs[s], in[s], count * sz) != 0)
            FAIL("reduce_multi %s %s count %zu %s: input %d changed", weft__dtype_name(dt),
                 weft__op_name(op), count, how, s);
    }
    bufs[nsrcs] = dst;
    if (!guards_intact(bufs, nsrcs + 1, count * sz))
        FAIL("reduce_multi %s %s count %zu %s: wrote outside the buffers", weft__dtype_name(dt),
             weft__op_name(op), count, how);
}

static void test_multi(void)
{
    static const size_t mcounts[] = {0, 1, 7, 17, 65, 1000, 10007};
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++)
        for (int op = 0; op < WEFT_NUM_OPS; op++)
            for (int n = 1; n <= MAX_SRCS; n++)
                for (size_t c = 0; c < sizeof(mcounts) / sizeof(mcounts[0]); c++)
                    for (int alias = 0; alias < M_NALIAS; alias++)
                        multi_case(dt, op, n, mcounts[c], alias);
}

/* --- weft__divide ------------------------------------------------------------------ */

/* Truncating division written on magnitudes, not with C's signed '/'. */
static int64_t ref_sdiv(int64_t x, uint32_t d)
{
    uint64_t mag = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    uint64_t q = mag / d;
    return x < 0 ? (int64_t)(0 - q) : (int64_t)q;
}

static val_t ref_divide(weft_datatype_t dt, val_t x, uint32_t d)
{
    if (d == 1)
        return x;
    val_t r = x;
    switch (dt) {
    case WEFT_INT8:
        r.i8 = (int8_t)ref_sdiv(x.i8, d);
        break;
    case WEFT_INT32:
        r.i32 = (int32_t)ref_sdiv(x.i32, d);
        break;
    case WEFT_INT64:
        r.i64 = ref_sdiv(x.i64, d);
        break;
    case WEFT_UINT8:
        r.u8 = (uint8_t)(x.u8 / d);
        break;
    case WEFT_UINT32:
        r.u32 = x.u32 / d;
        break;
    case WEFT_UINT64:
        r.u64 = x.u64 / d;
        break;
    case WEFT_FLOAT16:
    case WEFT_BFLOAT16:
        r.h = narrow(dt, widen(dt, x.h) / (float)d);
        break;
    case WEFT_FLOAT32:
        r.f32 = x.f32 / (float)d;
        break;
    case WEFT_FLOAT64:
        r.f64 = x.f64 / (double)d;
        break;
    }
    return r;
}

static void divide_case(weft_datatype_t dt, size_t count, uint32_t divisor)
{
    size_t sz = sizes[dt];
    arenas_reset(dt, count);
    unsigned char *p = arena_at(0, dt, count % 4);
    memcpy(p, pool[dt][2], count * sz);
    weft__divide(p, count, dt, divisor);
    cases++;
    for (size_t i = 0; i < count; i++)
        store(dt, want_buf, i, ref_divide(dt, load(dt, pool[dt][2], i), divisor));
    char how[64];
    snprintf(how, sizeof(how), "(divisor %u)", divisor);
    check_result("divide", dt, WEFT_AVG, count, p, want_buf, how);
    const unsigned char *bufs[1] = {p};
    if (!guards_intact(bufs, 1, count * sz))
        FAIL("divide %s count %zu %s: wrote outside the buffer", weft__dtype_name(dt), count, how);
}

/* AVG end to end on values whose answers are known by hand. */
static void divide_known(void)
{
    int32_t a[5] = {-7, 7, -8, INT32_MIN, -1}, b[5] = {-8, 0, 0, 0, 0};
    const int32_t want[5] = {-7, 3, -4, -1073741824, 0}; /* (-15)/2, 7/2, ... */
    weft__reduce(a, a, b, 5, WEFT_INT32, WEFT_AVG);
    weft__divide(a, 5, WEFT_INT32, 2);
    if (memcmp(a, want, sizeof(a)) != 0)
        FAIL("int32 avg of negatives: got %d %d %d %d %d", a[0], a[1], a[2], a[3], a[4]);
    int8_t c[3] = {-128, -7, 127};
    weft__divide(c, 3, WEFT_INT8, 3);
    if (c[0] != -42 || c[1] != -2 || c[2] != 42)
        FAIL("int8 / 3: got %d %d %d", c[0], c[1], c[2]);
    int64_t e[2] = {INT64_MIN, -9};
    weft__divide(e, 2, WEFT_INT64, 4);
    if (e[0] != INT64_MIN / 4 || e[1] != -2)
        FAIL("int64 / 4: got %lld %lld", (long long)e[0], (long long)e[1]);
    uint16_t h[2] = {0x3c00, 0xbc00}; /* 1.0 and -1.0 in float16 */
    weft__divide(h, 2, WEFT_FLOAT16, 3);
    if (h[0] != 0x3555 || h[1] != 0xb555)
        FAIL("float16 +-1 / 3: got 0x%04x 0x%04x, want 0x3555 0xb555", h[0], h[1]);
    float f = 1.0f;
    weft__divide(&f, 1, WEFT_FLOAT32, 3);
    if (f != 1.0f / 3.0f)
        FAIL("float32 1 / 3 is %a", f);
}

static void test_divide(void)
{
    static const uint32_t divisors[] = {1, 2, 3, 7, 10, 255, 65539, 0x80000000u, 0xffffffffu};
    static const size_t dcounts[] = {0, 1, 7, 17, 1000, 10007};
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++)
        for (size_t c = 0; c < sizeof(dcounts) / sizeof(dcounts[0]); c++)
            for (size_t d = 0; d < sizeof(divisors) / sizeof(divisors[0]); d++)
                divide_case(dt, dcounts[c], divisors[d]);
    divide_known();
}

/* --- names, sizes, validity --------------------------------------------------------- */

static void test_names(void)
{
    static const char *const dt_names[WEFT_NUM_DATATYPES] = {
        "int8",   "uint8",   "int32",    "uint32",  "int64",
        "uint64", "float16", "bfloat16", "float32", "float64"};
    static const char *const op_names[WEFT_NUM_OPS] = {"sum", "prod", "min", "max", "avg"};
    for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++) {
        if (strcmp(weft__dtype_name(dt), dt_names[dt]) != 0 || weft__dtype_size(dt) != sizes[dt] ||
            !weft__dtype_valid(dt))
            FAIL("datatype %d: name %s size %zu", dt, weft__dtype_name(dt), weft__dtype_size(dt));
    }
    for (int op = 0; op < WEFT_NUM_OPS; op++) {
        if (strcmp(weft__op_name(op), op_names[op]) != 0 || !weft__op_valid(op))
            FAIL("op %d: name %s", op, weft__op_name(op));
    }
    const int bad[] = {-1, WEFT_NUM_DATATYPES, WEFT_NUM_DATATYPES + 1, 1000, -1000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (weft__dtype_valid(bad[i]) || weft__dtype_size((weft_datatype_t)bad[i]) != 0 ||
            strcmp(weft__dtype_name((weft_datatype_t)bad[i]), "invalid") != 0)
            FAIL("datatype %d is taken for valid", bad[i]);
    }
    const int bad_ops[] = {-1, WEFT_NUM_OPS, 99};
    for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
        if (weft__op_valid(bad_ops[i]) ||
            strcmp(weft__op_name((weft_op_t)bad_ops[i]), "invalid") != 0)
            FAIL("op %d is taken for valid", bad_ops[i]);
    }
}

/* --- main ----------------------------------------------------------------------------- */

int main(void)
{
    /* WEFT_CPU_ISA is honoured at first use (generic runs on any CPU). */
    setenv("WEFT_CPU_ISA", "generic", 1);
    weft__config_reload();
    if (strcmp(weft__reduce_isa(), "generic") != 0)
        FAIL("WEFT_CPU_ISA=generic gave %s", weft__reduce_isa());
    unsetenv("WEFT_CPU_ISA");
    weft__config_reload();
    if (weft__reduce_force_isa("sse9") != -1 || weft__reduce_force_isa(NULL) != -1)
        FAIL("force_isa accepts nonsense");

    test_names();
    make_pools();
    for (int i = 0; i <= MAX_SRCS; i++)
        arena[i] = aligned_alloc(64, (ARENA_BYTES + 63) / 64 * 64);

    static const char *const isas[] = {"generic", "avx", "avx2", "avx512"};
    char tested[64] = "", skipped[64] = "";
    for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
        if (weft__reduce_force_isa(isas[i]) != 0) {
            printf("test_reduce: %s skipped: this CPU lacks it\n", isas[i]);
            strcat(strcat(skipped, " "), isas[i]);
            continue;
        }
        cur_isa = isas[i];
        if (strcmp(weft__reduce_isa(), isas[i]) != 0)
            FAIL("forced %s but running %s", isas[i], weft__reduce_isa());
        long before = cases;
        int failures_before = failures;
        test_reduce();
        test_multi();
        test_divide();
        printf("test_reduce: %s: %ld cases, %d failures\n", isas[i], cases - before,
               failures - failures_before);
        fflush(stdout);
        strcat(strcat(tested, " "), isas[i]);
    }
    weft__reduce_force_isa("auto");
    printf("test_reduce: tested:%s; skipped:%s; auto picks %s; %d failures\n", tested,
           skipped[0] ? skipped : " none", weft__reduce_isa(), failures);
    return failures ? 1 : 0;
}
