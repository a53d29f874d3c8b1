/*
 * test_sim_bucket.c - the simulator's token-bucket links (sim.c).
 *
 * Two nodes of one rank each, a 1 Gbit/s network (0.125 GB/s) that a
 * 256 KiB token bucket shapes, 1 GB/s inside the bucket.  Recursive
 * doubling all-reduce: one exchange of the whole buffer.  The test prices
 * it with and without the bucket and checks the three regimes:
 *   - small (4 KiB): less than a call's share of the bucket when calls
 *     come back to back (sim.c: 1/SIM_BURST_CALLS of it, 8 KiB), so the
 *     message moves at the peak speed: alpha + S/peak + the copy and the
 *     reduction, exactly;
 *   - medium (128 KiB): one call fits in the bucket, but calls like it
 *     back to back go at the rate: (S - 8 KiB) / rate, exactly, which is
 *     more than the call alone from a full bucket and less than the plain
 *     alpha + S/rate + the rest;
 *   - large (64 MiB): the bucket is a rounding error: within 0.5% of the
 *     unshaped link.
 * And an unshaped link (burst 0) is the plain alpha-beta price, so nothing
 * changes for systems without a bucket.
 */
#include "algo/layout.h"
#include "algo/sim.h"
#include "test_check.h"

#include <math.h>
#include <stdio.h>

static weft_cost_model_t model(double burst_bytes)
{
    weft_cost_model_t m = weft__cost_model_default();
    m.inter.alpha_us = 13.0;
    m.inter.bw_gbps = 0.125;
    m.inter.burst_bytes = burst_bytes;
    m.inter.peak_gbps = 1.0;
    return m;
}

static double price(const weft_layout_t *l, double burst_bytes, uint64_t bytes)
{
    weft_cost_model_t m = model(burst_bytes);
    weft_coll_args_t a = {WEFT_COLL_ALLREDUCE, 0, 2, bytes / 4, WEFT_FLOAT32, WEFT_SUM,
                          0, 1 << 20, l};
    weft_sim_result_t res;
    weft_status_t st = weft__simulate(weft__algo_find(WEFT_COLL_ALLREDUCE, "rd"), &a, &m, &res);
    CHECK(st == WEFT_OK, "simulate %llu bytes: status %d", (unsigned long long)bytes, (int)st);
    return st == WEFT_OK ? res.time_us : -1;
}

int main(void)
{
    int label[2] = {0, 1};
    weft_layout_t l;
    if (weft__layout_build(&l, 2, label) != WEFT_OK) {
        printf("FAILED: layout\n");
        return 1;
    }
    /* The rank's own part: rd copies its input, then adds the peer's. */
    weft_cost_model_t d = weft__cost_model_default();
    const double burst = 256 * 1024, per_byte_us = 1 / (d.reduce_gbps * 1e3) +
                                                   1 / (d.copy_gbps * 1e3);

    double s = 4 * 1024, small = price(&l, burst, (uint64_t)s);
    double want = 13.0 + s / 1e3 + s * per_byte_us;
    CHECK(fabs(small - want) < 0.01, "4 KiB in the bucket: %.3f us, want %.3f", small, want);
    double plain_small = price(&l, 0, (uint64_t)s);
    want = 13.0 + s / 125.0 + s * per_byte_us;
    CHECK(fabs(plain_small - want) < 0.01, "4 KiB unshaped: %.3f us, want %.3f", plain_small,
          want);

    double m = 128 * 1024, medium = price(&l, burst, (uint64_t)m);
    double plain_medium = price(&l, 0, (uint64_t)m);
    want = (m - burst / 32) / 125.0;
    CHECK(fabs(medium - want) < 0.01 && medium < plain_medium,
          "128 KiB, calls back to back: %.1f us, want %.1f (unshaped %.1f)", medium, want,
          plain_medium);

    uint64_t big = 64u << 20;
    double large = price(&l, burst, big), plain_large = price(&l, 0, big);
    CHECK(fabs(large - plain_large) <= plain_large * 0.005, "64 MiB: %.0f us, unshaped %.0f",
          large, plain_large);

    printf("4 KiB %.1f us (unshaped %.1f); 128 KiB %.1f (%.1f); 64 MiB %.0f (%.0f)\n", small,
           plain_small, medium, plain_medium, large, plain_large);
    weft__layout_free(&l);
    printf("%s\n", failures ? "FAILED" : "passed");
    return failures != 0;
}
