/*
 * cluster_check.c - one rank of the emulated-cluster test (tests/cluster/
 * run_cluster_test.sh starts it as every rank through perf/cluster/
 * cluster.sh): float32 sum all-reduce of a few sizes, each result checked
 * bit for bit, and the bytes this rank moved checked against the formula of
 * the rail-parallel hierarchical all-reduce.
 *
 * The formula.  With N nodes of k ranks, the vector of `count` elements is
 * cut into k blocks (weft's block rule: near-equal, the first count % k one
 * element larger); local rank l owns block b = (l + 1) mod k after the
 * intra-node reduce-scatter, and all-reduces it with local rank l of every
 * other node: a ring over N ranks on rail l that cuts the block into N
 * sub-blocks and, in the reduce-scatter and again in the all-gather, sends
 * all sub-blocks but one.  Node j skips sub-block (j + 1) mod N in the
 * reduce-scatter and (j + 2) mod N in the all-gather, and receives all but
 * j and (j + 1) mod N.  So each rank sends about 2(N-1)/N x S/k over its
 * rail -- exactly, per the above, which the test requires to the byte
 * (weft_comm_get_counters counts payload bytes of completed messages).
 * What crossed the rail interface itself (/sys/class/net/rail<l>/
 * statistics/tx_bytes, which this rank sees inside its node's namespace)
 * must be that payload plus TCP/IP headers and acknowledgements (at most
 * 10% + 256 KiB more): the traffic really went over this rank's rail, not
 * another.  Intra-node bytes must be non-zero (the node's phases ran over
 * shared memory).
 *
 *   cluster_check --nodes N --rails K [--algo hier|auto] [--counts a,b,...]
 *
 * --algo hier: WEFT_ALGO=hier is expected in the environment and every call
 * must report "hier"; auto: the tuner chooses, and the counters are held to
 * the formula whenever it chose hier.  Exit 0 when every check passed.
 */
#include <weft.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNTS 16
#define HEADER_SLACK 0.10
#define HEADER_SLACK_BYTES (256u << 10)

typedef struct {
    int nodes, rails;
    const char *algo; /* "hier" or "auto" */
    size_t counts[MAX_COUNTS];
    int ncounts;
} opts_t;

typedef struct {
    weft_comm_t comm;
    int rank, nranks, node, local;
    const char *ifname; /* this rank's rail interface, or NULL */
    int failed;
} rank_t;

/* --- input and reference -------------------------------------------------- */

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    return x ^ (x >> 16);
}

/* Multiples of 1/8 in [-128, 128): any sum of a few of them is exact in
 * float32, in any order, so the reference is bit-exact. */
static float input_value(int rank, size_t i)
{
    uint32_t h = mix((uint32_t)i * 2654435761u ^ mix((uint32_t)rank + 1u));
    return (float)((int)(h % 2048u) - 1024) * 0.125f;
}

static size_t check_result(const rank_t *rk, const float *out, size_t count)
{
    size_t wrong = 0;
    for (size_t i = 0; i < count; i++) {
        float want = 0.0f;
        for (int r = 0; r < rk->nranks; r++)
            want += input_value(r, i);
        if (memcmp(&want, &out[i], sizeof(float)) != 0 && wrong++ == 0)
            printf("rank %d:   first wrong element %zu: got %a, want %a\n", rk->rank, i,
                   (double)out[i], (double)want);
    }
    return wrong;
}

/* --- the formula ---------------------------------------------------------- */

static uint64_t block_count(uint64_t count, uint64_t nblocks, uint64_t b)
{
    return count / nblocks + (b < count % nblocks ? 1 : 0);
}

/* Elements this rank sends and receives between nodes in weft's hier. */
static void hier_expected(const opts_t *o, const rank_t *rk, uint64_t count, uint64_t *sent_p,
                          uint64_t *recv_p)
{
    uint64_t n = (uint64_t)o->nodes, j = (uint64_t)rk->node;
    uint64_t cb = block_count(count, (uint64_t)o->rails, (uint64_t)(rk->local + 1) % o->rails);
    uint64_t sent = 0, recv = 0;
    if (n > 1) {
        sent = 2 * cb - block_count(cb, n, (j + 1) % n) - block_count(cb, n, (j + 2) % n);
        recv = 2 * cb - block_count(cb, n, j) - block_count(cb, n, (j + 1) % n);
    }
    *sent_p = sent;
    *recv_p = recv;
}

/* --- one measured call ------------------------------------------------------ */

static int64_t rail_tx_bytes(const char *ifname)
{
    char path[128];
    unsigned long long v;
    if (ifname == NULL)
        return -1;
    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_bytes", ifname);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int ok = fscanf(f, "%llu", &v) == 1;
    fclose(f);
    return ok ? (int64_t)v : -1;
}

static void fail(rank_t *rk, const char *what)
{
    printf("rank %d:   FAIL %s\n", rk->rank, what);
    rk->failed = 1;
}

/* The counters of a call that used hier, against the formula. */
static void check_hier_bytes(const opts_t *o, rank_t *rk, size_t count,
                             const weft_comm_counters_t *d, int64_t tx)
{
    uint64_t es, er;
    hier_expected(o, rk, count, &es, &er);
    es *= sizeof(float);
    er *= sizeof(float);
    printf("rank %d:   inter-node sent %" PRIu64 " B (formula %" PRIu64 ", 2(N-1)/N x S/k = %.0f)"
           ", received %" PRIu64 " B (formula %" PRIu64 ")\n",
           rk->rank, d->inter_sent, es,
           2.0 * (o->nodes - 1) / o->nodes * (double)count * sizeof(float) / o->rails,
           d->inter_recv, er);
    if (d->inter_sent != es || d->inter_recv != er)
        fail(rk, "inter-node bytes differ from the hier formula");
    if (tx < 0) {
        printf("rank %d:   %s: no tx_bytes counter, rail not checked\n", rk->rank,
               rk->ifname ? rk->ifname : "(no WEFT_SOCKET_IFNAME)");
        return;
    }
    double over = es > 0 ? (double)tx / (double)es - 1.0 : 0.0;
    printf("rank %d:   %s carried %" PRId64 " B out (payload %+.1f%%: headers, acks)\n", rk->rank,
           rk->ifname, tx, 100.0 * over);
    if ((uint64_t)tx < es || (double)tx > (double)es * (1.0 + HEADER_SLACK) + HEADER_SLACK_BYTES)
        fail(rk, "the rail interface did not carry this rank's inter-node bytes");
}

/* Returns 0, or -1 when weft failed (the communicator is then unusable). */
static int run_case(const opts_t *o, rank_t *rk, size_t count, float *in, float *out)
{
    weft_comm_counters_t c0, c1;
    for (size_t i = 0; i < count; i++)
        in[i] = input_value(rk->rank, i);
    /* The first call opens the connections; the measured one is the second. */
    weft_status_t st = weft_allreduce(in, out, count, WEFT_FLOAT32, WEFT_SUM, rk->comm, NULL);
    st = st ? st : weft_barrier(rk->comm);
    int64_t tx0 = rail_tx_bytes(rk->ifname);
    st = st ? st : weft_comm_get_counters(rk->comm, &c0);
    memset(out, 0xff, count * sizeof(float));
    st = st ? st : weft_allreduce(in, out, count, WEFT_FLOAT32, WEFT_SUM, rk->comm, NULL);
    st = st ? st : weft_comm_get_counters(rk->comm, &c1);
    char used[32]; /* a copy, taken before the barrier's own name replaces it */
    snprintf(used, sizeof(used), "%s", weft_comm_last_algo(rk->comm));
    /* After the barrier every peer has what this rank sent: it left the NIC. */
    st = st ? st : weft_barrier(rk->comm);
    int64_t tx1 = rail_tx_bytes(rk->ifname);
    if (st != WEFT_OK) {
        printf("rank %d: %zu elements: %s: %s\n", rk->rank, count, weft_status_string(st),
               weft_last_error());
        rk->failed = 1;
        return -1;
    }
    size_t wrong = check_result(rk, out, count);
    printf("rank %d (node %d, local %d, %s): %zu elements (%zu B), algo %s, %zu wrong\n", rk->rank,
           rk->node, rk->local, rk->ifname ? rk->ifname : "-", count, count * sizeof(float), used,
           wrong);
    if (wrong > 0)
        fail(rk, "wrong result");
    if (strcmp(o->algo, "auto") != 0 && strcmp(used, o->algo) != 0)
        fail(rk, "not the forced algorithm");
    weft_comm_counters_t d = {c1.intra_sent - c0.intra_sent, c1.intra_recv - c0.intra_recv,
                              c1.inter_sent - c0.inter_sent, c1.inter_recv - c0.inter_recv};
    printf("rank %d:   intra-node sent %" PRIu64 " B, received %" PRIu64 " B\n", rk->rank,
           d.intra_sent, d.intra_recv);
    if (o->rails > 1 && (d.intra_sent == 0 || d.intra_recv == 0))
        fail(rk, "no intra-node bytes");
    if (strcmp(used, "hier") == 0)
        check_hier_bytes(o, rk, count, &d, tx0 >= 0 && tx1 >= 0 ? tx1 - tx0 : -1);
    else
        printf("rank %d:   %s is not hier: bytes not held to the hier formula\n", rk->rank, used);
    return 0;
}

/* --- main ----------------------------------------------------------------- */

static int parse_counts(opts_t *o, char *list)
{
    o->ncounts = 0;
    for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
        char *end;
        unsigned long long v = strtoull(tok, &end, 10);
        if (*end != '\0' || v == 0 || o->ncounts == MAX_COUNTS)
            return -1;
        o->counts[o->ncounts++] = (size_t)v;
    }
    return o->ncounts > 0 ? 0 : -1;
}

static int parse_args(int argc, char **argv, opts_t *o)
{
    const char *e;
    o->nodes = (e = getenv("WEFTC_NODES")) != NULL ? atoi(e) : 0;
    o->rails = (e = getenv("WEFTC_RAILS")) != NULL ? atoi(e) : 0;
    o->algo = "auto";
    char defaults[] = "262144,4194304,1048583"; /* 1 MiB, 16 MiB, 1M+7 elements */
    if (parse_counts(o, defaults) != 0)
        return -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--nodes") == 0)
            o->nodes = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rails") == 0)
            o->rails = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--algo") == 0)
            o->algo = argv[i + 1];
        else if (strcmp(argv[i], "--counts") != 0 || parse_counts(o, argv[i + 1]) != 0)
            return -1;
    }
    return argc % 2 == 1 && o->nodes > 0 && o->rails > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    opts_t o;
    rank_t rk = {0};
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: cluster_check --nodes N --rails K [--algo hier|auto] "
                        "[--counts a,b,...]\n");
        return 2;
    }
    weft_status_t st = weft_comm_init_env(&rk.comm);
    st = st ? st : weft_comm_rank(rk.comm, &rk.rank);
    st = st ? st : weft_comm_size(rk.comm, &rk.nranks);
    if (st != WEFT_OK) {
        printf("init: %s: %s\n", weft_status_string(st), weft_last_error());
        return 1;
    }
    if (rk.nranks != o.nodes * o.rails) {
        printf("rank %d: %d ranks, but --nodes %d x --rails %d\n", rk.rank, rk.nranks, o.nodes,
               o.rails);
        return 1;
    }
    rk.node = rk.rank / o.rails; /* cluster.sh: rank = node * k + local */
    rk.local = rk.rank % o.rails;
    rk.ifname = getenv("WEFT_SOCKET_IFNAME");
    size_t max = 0;
    for (int i = 0; i < o.ncounts; i++)
        max = o.counts[i] > max ? o.counts[i] : max;
    float *in = malloc(max * sizeof(float)), *out = malloc(max * sizeof(float));
    if (in == NULL || out == NULL) {
        printf("rank %d: out of memory\n", rk.rank);
        return 1;
    }
    for (int i = 0; i < o.ncounts; i++)
        if (run_case(&o, &rk, o.counts[i], in, out) != 0)
            break;
    free(in);
    free(out);
    weft_comm_destroy(rk.comm);
    printf("rank %d: %s (algo %s)\n", rk.rank, rk.failed ? "FAILED" : "PASSED", o.algo);
    return rk.failed ? 1 : 0;
}
