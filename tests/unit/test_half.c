/*
 * test_half.c - float16 and bfloat16 conversions against references
 * written here from the definitions, not from half.h's tricks.
 *
 *  - every one of the 65536 float16 and bfloat16 values widens to the
 *    exact value (sign * mantissa * 2^exp, computed with ldexp), and
 *    narrows back to itself bit for bit; NaNs stay NaN, keep sign and
 *    payload, and come back quiet;
 *  - float -> float16/bfloat16 is checked against a reference that finds
 *    the two neighbouring representable values and picks the nearer, the
 *    even one on a tie: on every halfway point (all ties, exhaustively),
 *    the floats either side of each, edge cases, a stride over all 2^32
 *    floats and random floats concentrated in the float16 range;
 *  - the vector converters of every ISA table this CPU can run (F16C,
 *    AVX-512) give the same bits as the scalar functions.
 * Exits 1 with a line per kind of failure (the first few examples shown).
 */
#include "reduce/half.h"
#include "reduce/kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (failures++ < 20) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng32(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* The value of a finite float16 (code & 0x7c00 != 0x7c00), from its fields. */
static double ref_half_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

static double ref_bf16_value(uint16_t b)
{
    int e = (b >> 7) & 0xff, m = b & 0x7f;
    double v = e == 0 ? ldexp(m, -133) : ldexp(128 + m, e - 134);
    return (b & 0x8000) ? -v : v;
}

/* Magnitude code (sign clear) of a non-negative finite 16-bit format value
 * is monotonic in the value, so round to nearest even is: find the largest
 * code whose value is <= x, compare the distances to it and the next, and
 * take the even code on a tie.  `top` is the infinity code; its value for
 * rounding is what the next binade would start at. */
static uint16_t ref_round(double x, double (*value)(uint16_t), uint16_t top, double top_value)
{
    uint16_t lo = 0, hi = top; /* invariant: value(lo) <= x < value(hi) */
    if (x >= top_value)
        return top;
    while (hi - lo > 1) {
        uint16_t mid = (uint16_t)((lo + hi) / 2);
        if (value(mid) <= x)
            lo = mid;
        else
            hi = mid;
    }
    double vlo = value(lo), vhi = hi == top ? top_value : value(hi);
    /* Exact: x is a float and the neighbours have no more significant bits
     * than it at a coarser or equal scale, so each difference fits in the
     * 53 bits of a double. */
    double dlo = x - vlo, dhi = vhi - x;
    if (dlo < dhi)
        return lo;
    if (dhi < dlo)
        return hi;
    return (lo & 1) ? hi : lo;
}

static uint16_t ref_float_to_half(float f)
{
    uint32_t u = f2u(f), sign = (u >> 16) & 0x8000;
    if (isnan(f))
        return (uint16_t)(sign | 0x7e00 | ((u >> 13) & 0x3ff));
    return (uint16_t)(sign | ref_round(fabs((double)f), ref_half_value, 0x7c00, 65536.0));
}

static uint16_t ref_float_to_bf16(float f)
{
    uint32_t u = f2u(f), sign = (u >> 16) & 0x8000;
    if (isnan(f))
        return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)(sign | ref_round(fabs((double)f), ref_bf16_value, 0x7f80, ldexp(1, 128)));
}

static void check_widen_all(void)
{
    for (uint32_t c = 0; c < 65536; c++) {
        uint16_t h = (uint16_t)c;
        float f = weft__half_to_float(h);
        int hnan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (hnan) {
            uint32_t want =
                ((uint32_t)(h & 0x8000) << 16) | 0x7fc00000u | ((uint32_t)(h & 0x3ff) << 13);
            if (f2u(f) != want)
                FAIL("half 0x%04x (NaN) -> float 0x%08x, want 0x%08x", h, f2u(f), want);
            if (weft__float_to_half(f) != (h | 0x200))
                FAIL("half NaN 0x%04x round trip gives 0x%04x", h, weft__float_to_half(f));
        } else {
            double want =
                (h & 0x7c00) == 0x7c00 ? ((h & 0x8000) ? -INFINITY : INFINITY) : ref_half_value(h);
            if ((double)f != want || !!signbit(f) != ((h & 0x8000) != 0))
                FAIL("half 0x%04x -> %a, want %a", h, f, want);
            if (weft__float_to_half(f) != h)
                FAIL("half 0x%04x round trip gives 0x%04x", h, weft__float_to_half(f));
        }

        uint16_t b = (uint16_t)c;
        float g = weft__bf16_to_float(b);
        int bnan = (b & 0x7f80) == 0x7f80 && (b & 0x7f);
        if (bnan) {
            if (!isnan(g) || f2u(g) != (uint32_t)b << 16)
                FAIL("bf16 0x%04x (NaN) -> float 0x%08x", b, f2u(g));
            if (weft__float_to_bf16(g) != (b | 0x40))
                FAIL("bf16 NaN 0x%04x round trip gives 0x%04x", b, weft__float_to_bf16(g));
        } else {
            double want =
                (b & 0x7f80) == 0x7f80 ? ((b & 0x8000) ? -INFINITY : INFINITY) : ref_bf16_value(b);
            if ((double)g != want || !!signbit(g) != ((b & 0x8000) != 0))
                FAIL("bf16 0x%04x -> %a, want %a", b, g, want);
            if (weft__float_to_bf16(g) != b)
                FAIL("bf16 0x%04x round trip gives 0x%04x", b, weft__float_to_bf16(g));
        }
    }
}

static long narrow_checked;

static void check_narrow(float f)
{
    uint16_t h = weft__float_to_half(f), hr = ref_float_to_half(f);
    if (h != hr)
        FAIL("float %a (0x%08x) -> half 0x%04x, want 0x%04x", f, f2u(f), h, hr);
    uint16_t b = weft__float_to_bf16(f), br = ref_float_to_bf16(f);
    if (b != br)
        FAIL("float %a (0x%08x) -> bf16 0x%04x, want 0x%04x", f, f2u(f), b, br);
    narrow_checked++;
}

/* Each float, its neighbours, and the negatives of all three. */
static void check_narrow_around(float f)
{
    float v[3] = {f, nextafterf(f, INFINITY), nextafterf(f, -INFINITY)};
    for (int i = 0; i < 3; i++) {
        check_narrow(v[i]);
        check_narrow(-v[i]);
    }
}

static void check_narrow_ties(void)
{
    /* Every halfway point between neighbouring float16 values is a float
     * (it needs 12 significant bits), and so are the bfloat16 ones. */
    for (uint32_t c = 0; c < 0x7c00; c++) {
        double hi = c + 1 == 0x7c00 ? 65536.0 : ref_half_value((uint16_t)(c + 1));
        check_narrow_around((float)((ref_half_value((uint16_t)c) + hi) / 2));
        check_narrow_around((float)ref_half_value((uint16_t)c));
    }
    for (uint32_t c = 0; c < 0x7f80; c++) {
        double hi = c + 1 == 0x7f80 ? ldexp(1, 128) : ref_bf16_value((uint16_t)(c + 1));
        double mid = (ref_bf16_value((uint16_t)c) + hi) / 2;
        if (mid < ldexp(1, 128))
            check_narrow_around((float)mid);
    }
}

static void check_narrow_edges(void)
{
    const float edges[] = {0.0f,
                           -0.0f,
                           65504.0f,
                           65505.0f,
                           65519.99f,
                           65520.0f,
                           65536.0f,
                           1e10f,
                           0x1p-14f,
                           0x1p-24f,
                           0x1p-25f,
                           0x1.8p-25f,
                           0x1p-26f,
                           0x1p-149f,
                           0x1.ffcp-15f,
                           0x1.ffep-15f,
                           1.0f,
                           1.5f,
                           0x1.002p0f,
                           0x1.006p0f,
                           3.38953139e38f,
                           0x1.fffffep127f,
                           0x1.ff0000p127f,
                           INFINITY,
                           0x1p-126f,
                           0x1p-133f,
                           0x1.fep-127f};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        check_narrow_around(edges[i]);
    const uint32_t nans[] = {0x7f800001u, 0x7f802000u, 0x7fc00000u, 0x7fffffffu,
                             0x7fa00000u, 0x7f810000u, 0x7f80ffffu};
    for (size_t i = 0; i < sizeof(nans) / sizeof(nans[0]); i++) {
        check_narrow(u2f(nans[i]));
        check_narrow(u2f(nans[i] | 0x80000000u));
    }
    if (weft__float_to_half(65520.0f) != 0x7c00 || weft__float_to_half(65519.996f) != 0x7bff)
        FAIL("float16 overflow threshold is not 65520");
    if (weft__float_to_half(0x1p-25f) != 0 || weft__float_to_half(0x1.000002p-25f) != 1)
        FAIL("float16 smallest subnormal tie does not round to even");
    if (weft__float_to_half(-0.0f) != 0x8000 || weft__float_to_bf16(-0.0f) != 0x8000)
        FAIL("negative zero loses its sign");
}

static void check_narrow_sweep(void)
{
    for (uint64_t u = 0; u < (1ull << 32); u += 4093)
        check_narrow(u2f((uint32_t)u));
    for (int i = 0; i < 2000000; i++) {
        /* Exponents -30..17: subnormal halves to overflow. */
        uint32_t e = 127 - 30 + rng32() % 48;
        check_narrow(u2f((rng32() & 0x807fffffu) | (e << 23)));
        check_narrow(u2f(rng32()));
    }
}

/* The ISA tables' converters against the scalar ones, whole arrays at once
 * so that the vector bodies (F16C, AVX-512) and their tails both run. */
static void check_isa_converters(void)
{
    static const char *const isas[] = {"generic", "avx", "avx2", "avx512"};
    enum { N = 65536 + 13 };
    uint16_t *h = malloc(N * 2), *h2 = malloc(N * 2);
    float *f = malloc(N * 4), *f2 = malloc(N * 4);
    for (size_t i = 0; i < (sizeof(isas) / sizeof(isas[0])); i++) {
        if (weft__reduce_force_isa(isas[i]) != 0) {
            printf("  converters: %s skipped (this CPU lacks it)\n", isas[i]);
            continue;
        }
        const weft__reduce_kernels_t *k = weft__reduce_kernels();
        for (size_t j = 0; j < N; j++)
            h[j] = (uint16_t)j;
        for (int pass = 0; pass < 2; pass++) {
            k->f16_to_f32(f, h, N);
            for (size_t j = 0; j < N; j++) {
                if (f2u(f[j]) != f2u(weft__half_to_float(h[j])))
                    FAIL("%s f16_to_f32(0x%04x) = 0x%08x", isas[i], h[j], f2u(f[j]));
            }
            k->bf16_to_f32(f, h, N);
            for (size_t j = 0; j < N; j++) {
                if (f2u(f[j]) != f2u(weft__bf16_to_float(h[j])))
                    FAIL("%s bf16_to_f32(0x%04x) = 0x%08x", isas[i], h[j], f2u(f[j]));
            }
            for (size_t j = 0; j < N; j++)
                f2[j] =
                    u2f(j % 3 ? (rng32() & 0x807fffffu) | ((97 + rng32() % 48) << 23) : rng32());
            k->f32_to_f16(h2, f2, N);
            for (size_t j = 0; j < N; j++) {
                if (h2[j] != weft__float_to_half(f2[j]))
                    FAIL("%s f32_to_f16(%a) = 0x%04x", isas[i], f2[j], h2[j]);
            }
            k->f32_to_bf16(h2, f2, N);
            for (size_t j = 0; j < N; j++) {
                if (h2[j] != weft__float_to_bf16(f2[j]))
                    FAIL("%s f32_to_bf16(%a) = 0x%04x", isas[i], f2[j], h2[j]);
            }
        }
        printf("  converters: %s checked\n", isas[i]);
    }
    weft__reduce_force_isa("auto");
    free(h), free(h2), free(f), free(f2);
}

int main(void)
{
    check_widen_all();
    check_narrow_edges();
    check_narrow_ties();
    check_narrow_sweep();
    check_isa_converters();
    printf("test_half: %ld narrowings checked, %d failures\n", narrow_checked, failures);
    return failures ? 1 : 0;
}
