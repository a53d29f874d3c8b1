/*
 * gloo-perf: weft-perf's benchmark through Gloo, the CPU collective library
 * of PyTorch's gloo backend, as the second baseline for weft's numbers.
 *
 *   mpirun -np 4 gloo-perf allreduce -b 8 -e 64M      (ranks are processes)
 *   WEFT_RANK=r WEFT_NRANKS=n gloo-perf allreduce      (any launcher)
 *   gloo-perf allreduce -t 4                           (4 ranks as threads)
 *
 * What runs:
 *   allreduce      gloo::allreduce (AllreduceOptions), out of place; its
 *                  default algorithm is the ring ("gloo-ring"); -a bcube picks
 *                  Gloo's bcube ("gloo-bcube", recursive halving-doubling when
 *                  nranks is a power of two).
 *   allgather      gloo::allgather (AllgatherOptions), a ring ("gloo-ring").
 *   reducescatter  Gloo has no reduce-scatter of the newer options style; the
 *                  old-style gloo::ReduceScatterHalvingDoubling is used: an
 *                  algorithm object bound to one buffer, built once per size
 *                  (untimed), reducing in place so that the rank's block ends
 *                  at the start of its send buffer ("gloo-halving-doubling").
 * Every type of the harness works; float16 is gloo::float16 (Gloo reduces it
 * through float, one element at a time).
 *
 * Ranks as processes: rank and size come from WEFT_RANK/WEFT_NRANKS when set,
 * else from OpenMPI's environment (mpirun is only a launcher here: MPI itself
 * is not linked), else the process is a single rank. They meet through a
 * gloo::rendezvous::FileStore in GLOO_STORE_DIR (default
 * /tmp/gloo-perf-<OpenMPI job id, or uid<uid>>), which every rank empties of
 * its own keys as soon as all are connected. Ranks as threads (-t N) meet
 * through a HashStore in memory. The transport is Gloo's TCP device, on the
 * interface GLOO_IFNAME when set, else on 127.0.0.1 when every rank is on this
 * host, else on the address of this host's name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/config.h>
#include <gloo/math.h>
#include <gloo/reduce_scatter.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/hash_store.h>
#include <gloo/transport/tcp/device.h>
#include <gloo/types.h>

#include "bench.h"

namespace
{

// Tags keep the harness's own small collectives apart from the measured one.
constexpr uint32_t kTagMeasured = 0;
constexpr uint32_t kTagBarrier = 1;
constexpr uint32_t kTagMax = 2;
constexpr uint32_t kTagSum = 3;

// Options of gloo-perf beyond the common ones.
struct ToolOptions {
    int threads = 0; // -t N: N ranks as threads; 0: this process is one rank
    bool bcube = false;
};

// One rank's state, behind bench_comm_t's ctx.
struct GlooBench {
    const bench_opts_t *opts;
    bool bcube;
    std::shared_ptr<gloo::Context> context;
    std::unique_ptr<gloo::Algorithm> reduceScatter; // bound to the current size
};

// Calls fn with a value of the C++ type that stands for the harness's type.
template <typename Fn> void withType(bench_type_t type, Fn &&fn)
{
    switch (type) {
    case BENCH_INT8:
        fn(int8_t());
        break;
    case BENCH_UINT8:
        fn(uint8_t());
        break;
    case BENCH_INT32:
        fn(int32_t());
        break;
    case BENCH_UINT32:
        fn(uint32_t());
        break;
    case BENCH_INT64:
        fn(int64_t());
        break;
    case BENCH_UINT64:
        fn(uint64_t());
        break;
    case BENCH_FLOAT16:
        fn(gloo::float16());
        break;
    case BENCH_FLOAT32:
        fn(float());
        break;
    case BENCH_FLOAT64:
    default:
        fn(double());
        break;
    }
}

// The element-wise reductions of gloo/math.h, in the shape AllreduceOptions
// takes (the cast picks the four-argument overload).
template <typename T> gloo::AllreduceOptions::Func reduceFn(bench_op_t op)
{
    using Fn = void (*)(void *, const void *, const void *, size_t);
    switch (op) {
    case BENCH_PROD:
        return static_cast<Fn>(&gloo::product<T>);
    case BENCH_MIN:
        return static_cast<Fn>(&gloo::min<T>);
    case BENCH_MAX:
        return static_cast<Fn>(&gloo::max<T>);
    case BENCH_SUM:
    default:
        return static_cast<Fn>(&gloo::sum<T>);
    }
}

// The same reductions for the old-style algorithms.
template <typename T> const gloo::ReductionFunction<T> *reductionFunction(bench_op_t op)
{
    switch (op) {
    case BENCH_PROD:
        return gloo::ReductionFunction<T>::product;
    case BENCH_MIN:
        return gloo::ReductionFunction<T>::min;
    case BENCH_MAX:
        return gloo::ReductionFunction<T>::max;
    case BENCH_SUM:
    default:
        return gloo::ReductionFunction<T>::sum;
    }
}

int fail(const GlooBench &g, const char *what, const std::exception &e)
{
    fprintf(stderr, "error: gloo-perf rank %d: %s: %s\n", g.context->rank, what, e.what());
    return -1;
}

// --- the callbacks of bench_comm_t -----------------------------------------

int benchPrepare(void *ctx, const bench_size_t *size, bench_bufs_t *bufs)
{
    auto &g = *static_cast<GlooBench *>(ctx);
    if (g.opts->coll != BENCH_REDUCESCATTER)
        return 0;
    // The algorithm keeps its counts and byte counts in ints.
    if (size->send_count * bench_type_size(size->type) > INT_MAX) {
        fprintf(stderr, "error: gloo-perf: %zu bytes is more than Gloo's reduce-scatter holds\n",
                size->bytes);
        return -1;
    }
    try {
        g.reduceScatter.reset();
        withType(size->type, [&](auto tag) {
            using T = decltype(tag);
            std::vector<T *> ptrs{static_cast<T *>(bufs->send)};
            std::vector<int> recvElems(g.context->size, static_cast<int>(size->recv_count));
            g.reduceScatter.reset(new gloo::ReduceScatterHalvingDoubling<T>(
                g.context, ptrs, static_cast<int>(size->send_count), recvElems,
                reductionFunction<T>(size->op)));
        });
    } catch (const std::exception &e) {
        return fail(g, "reduce-scatter setup", e);
    }
    bufs->result = bufs->send; // in place: this rank's block comes first
    return 0;
}

template <typename T>
void runAllreduce(GlooBench &g, const bench_size_t *size, const bench_bufs_t *bufs)
{
    gloo::AllreduceOptions opts(g.context);
    opts.setAlgorithm(g.bcube ? gloo::AllreduceOptions::Algorithm::BCUBE
                              : gloo::AllreduceOptions::Algorithm::RING);
    opts.setInput(static_cast<T *>(bufs->send), size->count);
    opts.setOutput(static_cast<T *>(bufs->recv), size->count);
    opts.setReduceFunction(reduceFn<T>(size->op));
    opts.setTag(kTagMeasured);
    gloo::allreduce(opts);
}

template <typename T>
void runAllgather(GlooBench &g, const bench_size_t *size, const bench_bufs_t *bufs)
{
    gloo::AllgatherOptions opts(g.context);
    opts.setInput(static_cast<T *>(bufs->send), size->send_count);
    opts.setOutput(static_cast<T *>(bufs->recv), size->recv_count);
    opts.setTag(kTagMeasured);
    gloo::allgather(opts);
}

int benchRun(void *ctx, const bench_size_t *size, const bench_bufs_t *bufs)
{
    auto &g = *static_cast<GlooBench *>(ctx);
    try {
        switch (g.opts->coll) {
        case BENCH_REDUCESCATTER:
            g.reduceScatter->run();
            break;
        case BENCH_ALLGATHER:
            withType(size->type, [&](auto tag) { runAllgather<decltype(tag)>(g, size, bufs); });
            break;
        case BENCH_ALLREDUCE:
        default:
            withType(size->type, [&](auto tag) { runAllreduce<decltype(tag)>(g, size, bufs); });
            break;
        }
    } catch (const std::exception &e) {
        return fail(g, bench_coll_name(g.opts->coll), e);
    }
    return 0;
}

// Gloo has no bfloat16 and no average, and is measured out of place, for
// the three collectives weft compares it on.
int benchSupports(void *, bench_coll_t coll, bench_type_t type, bench_op_t op, int in_place)
{
    return (coll == BENCH_ALLREDUCE || coll == BENCH_ALLGATHER || coll == BENCH_REDUCESCATTER) &&
           type != BENCH_BFLOAT16 && op != BENCH_AVG && !in_place;
}

int benchBarrier(void *ctx)
{
    auto &g = *static_cast<GlooBench *>(ctx);
    try {
        gloo::BarrierOptions opts(g.context);
        opts.setTag(kTagBarrier);
        gloo::barrier(opts);
    } catch (const std::exception &e) {
        return fail(g, "barrier", e);
    }
    return 0;
}

// A one-element allreduce for the harness's own bookkeeping.
template <typename T>
int allreduceOne(GlooBench &g, T *value, gloo::AllreduceOptions::Func fn, uint32_t tag)
{
    try {
        gloo::AllreduceOptions opts(g.context);
        opts.setOutput(value, 1);
        opts.setReduceFunction(fn);
        opts.setTag(tag);
        gloo::allreduce(opts);
    } catch (const std::exception &e) {
        return fail(g, "allreduce of the results", e);
    }
    return 0;
}

int benchMaxDouble(void *ctx, double *value)
{
    auto &g = *static_cast<GlooBench *>(ctx);
    return allreduceOne(g, value, reduceFn<double>(BENCH_MAX), kTagMax);
}

int benchSumU64(void *ctx, uint64_t *value)
{
    auto &g = *static_cast<GlooBench *>(ctx);
    return allreduceOne(g, value, reduceFn<uint64_t>(BENCH_SUM), kTagSum);
}

// --- one rank --------------------------------------------------------------

const char *algoName(const bench_opts_t &opts, const ToolOptions &tool)
{
    switch (opts.coll) {
    case BENCH_REDUCESCATTER:
        return "gloo-halving-doubling";
    case BENCH_ALLGATHER:
        return "gloo-ring";
    case BENCH_ALLREDUCE:
    default:
        return tool.bcube ? "gloo-bcube" : "gloo-ring";
    }
}

// Runs the sweep on a connected context; returns the exit status.
int runRank(const bench_opts_t &opts, const ToolOptions &tool,
            const std::shared_ptr<gloo::Context> &context, const std::string &where)
{
    GlooBench g{&opts, tool.bcube, context, nullptr};
    bench_comm_t comm = {};
    comm.rank = context->rank;
    comm.nranks = context->size;
    comm.ctx = &g;
    comm.prepare = benchPrepare;
    comm.run = benchRun;
    comm.barrier = benchBarrier;
    comm.max_double = benchMaxDouble;
    comm.sum_u64 = benchSumU64;
    comm.supports = benchSupports;

    std::string note = "gloo-perf: Gloo " + std::to_string(GLOO_VERSION_MAJOR) + "." +
                       std::to_string(GLOO_VERSION_MINOR) + "." +
                       std::to_string(GLOO_VERSION_PATCH) + ", " + where;
    bench_label_t label = {};
    label.tool = "gloo-perf";
    label.rank_kind = tool.threads > 0 ? "threads" : "processes";
    label.algo = algoName(opts, tool);
    label.note = note.c_str();

    switch (bench_run(&opts, &comm, &label)) {
    case 0:
        return 0;
    case 1:
        return 1;
    default:
        return 3;
    }
}

// --- the transport, then ranks as threads ----------------------------------

// The TCP device: GLOO_IFNAME (or PyTorch's GLOO_SOCKET_IFNAME) names the
// interface; otherwise loopback for a job on one host, else the host's name.
std::shared_ptr<gloo::transport::Device> makeDevice(bool allLocal)
{
    gloo::transport::tcp::attr attr;
    const char *ifname = getenv("GLOO_IFNAME");
    if (ifname == nullptr || *ifname == '\0')
        ifname = getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0') {
        attr.iface = ifname;
    } else if (allLocal) {
        attr.hostname = "127.0.0.1";
    } else {
        char host[HOST_NAME_MAX + 1] = "";
        gethostname(host, sizeof(host) - 1);
        attr.hostname = host;
    }
    return gloo::transport::tcp::CreateDevice(attr);
}

int runThreads(const bench_opts_t &opts, const ToolOptions &tool)
{
    auto store = std::make_shared<gloo::rendezvous::HashStore>();
    std::shared_ptr<gloo::transport::Device> dev;
    try {
        dev = makeDevice(true);
    } catch (const std::exception &e) {
        fprintf(stderr, "error: gloo-perf: TCP device: %s\n", e.what());
        return 3;
    }
    const std::string where = "device [" + dev->str() + "], rendezvous in memory";
    std::vector<int> status(tool.threads, 3);
    std::vector<std::thread> threads;
    for (int r = 0; r < tool.threads; r++) {
        threads.emplace_back([&, r] {
            try {
                auto context = std::make_shared<gloo::rendezvous::Context>(r, tool.threads);
                context->connectFullMesh(*store, dev);
                status[r] = runRank(opts, tool, context, where);
            } catch (const std::exception &e) {
                fprintf(stderr, "error: gloo-perf rank %d: connect: %s\n", r, e.what());
            }
        });
    }
    int worst = 0;
    for (int r = 0; r < tool.threads; r++) {
        threads[r].join();
        worst = status[r] > worst ? status[r] : worst;
    }
    return worst;
}

// --- ranks as processes ----------------------------------------------------

// Where this process stands in the job, from the launcher's environment.
struct JobInfo {
    int rank = 0;
    int size = 1;
    std::string jobid;    // unique per launch when the launcher gives one
    bool allLocal = true; // every rank on this host
};

bool envInt(const char *name, int *value_p)
{
    const char *text = getenv(name);
    char *end;
    if (text == nullptr || *text == '\0')
        return false;
    long value = strtol(text, &end, 10);
    if (*end != '\0' || value < 0 || value > INT_MAX)
        return false;
    *value_p = static_cast<int>(value);
    return true;
}

JobInfo jobFromEnv()
{
    JobInfo job;
    int local;
    if (envInt("WEFT_RANK", &job.rank) && envInt("WEFT_NRANKS", &job.size)) {
        job.allLocal = false; // nothing says where the others are
    } else if (envInt("OMPI_COMM_WORLD_RANK", &job.rank) &&
               envInt("OMPI_COMM_WORLD_SIZE", &job.size)) {
        const char *jobid = getenv("OMPI_MCA_ess_base_jobid");
        job.jobid = jobid != nullptr ? jobid : "";
        job.allLocal = envInt("OMPI_COMM_WORLD_LOCAL_SIZE", &local) && local == job.size;
    } else {
        job.rank = 0;
        job.size = 1;
    }
    return job;
}

// Removes the store's files that this rank wrote, and the directory when it
// is ours and the last rank has emptied it. Called once every rank is
// connected, so that no rank still needs to read them.
void cleanStore(gloo::rendezvous::FileStore &store, const std::string &dir, bool ownDir)
{
    for (const auto &path : store.getAllKeyFilePaths())
        if (unlink(path.c_str()) != 0 && errno != ENOENT)
            fprintf(stderr, "warning: gloo-perf: cannot remove %s: %s\n", path.c_str(),
                    strerror(errno));
    if (ownDir)
        rmdir(dir.c_str()); // fails (ENOTEMPTY) for all ranks but the last
}

int connectAndRun(const bench_opts_t &opts, const ToolOptions &tool, const JobInfo &job,
                  const std::string &dir, bool ownDir)
{
    std::shared_ptr<gloo::rendezvous::Context> context;
    std::string where;
    try {
        auto dev = makeDevice(job.allLocal);
        where = "device [" + dev->str() + "], rendezvous in " + dir;
        gloo::rendezvous::FileStore store(dir);
        context = std::make_shared<gloo::rendezvous::Context>(job.rank, job.size);
        context->connectFullMesh(store, dev);
        gloo::BarrierOptions barrier(context);
        barrier.setTag(kTagBarrier);
        gloo::barrier(barrier);
        cleanStore(store, dir, ownDir);
    } catch (const std::exception &e) {
        fprintf(stderr,
                "error: gloo-perf rank %d of %d: rendezvous in %s: %s\n"
                "  (files left there by an earlier run stop a new one: remove them, or set "
                "GLOO_STORE_DIR)\n",
                job.rank, job.size, dir.c_str(), e.what());
        return 3;
    }
    return runRank(opts, tool, context, where);
}

int runProcess(const bench_opts_t &opts, const ToolOptions &tool)
{
    JobInfo job = jobFromEnv();
    if (job.rank >= job.size) {
        fprintf(stderr, "error: gloo-perf: rank %d is not below the job's size %d\n", job.rank,
                job.size);
        return 2;
    }
    const char *dirEnv = getenv("GLOO_STORE_DIR");
    bool ownDir = dirEnv == nullptr || *dirEnv == '\0';
    std::string dir =
        ownDir
            ? "/tmp/gloo-perf-" + (job.jobid.empty() ? "uid" + std::to_string(getuid()) : job.jobid)
            : dirEnv;
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: gloo-perf: cannot create %s: %s\n", dir.c_str(), strerror(errno));
        return 3;
    }
    return connectAndRun(opts, tool, job, dir, ownDir);
}

// --- command line ----------------------------------------------------------

int handleOption(void *ctx, int opt, const char *arg)
{
    auto &tool = *static_cast<ToolOptions *>(ctx);
    char *end;
    switch (opt) {
    case 't': {
        long n = strtol(arg, &end, 10);
        if (*end != '\0' || n < 1 || n > 1024)
            return -1;
        tool.threads = static_cast<int>(n);
        return 0;
    }
    case 'a':
        if (strcmp(arg, "ring") == 0)
            tool.bcube = false;
        else if (strcmp(arg, "bcube") == 0)
            tool.bcube = true;
        else
            return -1;
        return 0;
    default:
        return -1;
    }
}

const char kHelp[] =
    "  -t N         run N ranks as threads of this process (default: this process\n"
    "               is one rank of a job launched by mpirun or with WEFT_RANK)\n"
    "  -a ALGO      allreduce algorithm: ring (default) or bcube\n"
    "environment:\n"
    "  WEFT_RANK, WEFT_NRANKS   this process's rank and the job's size (else\n"
    "                           OMPI_COMM_WORLD_RANK/SIZE, else a single rank)\n"
    "  GLOO_STORE_DIR           rendezvous directory shared by the ranks\n"
    "                           (default /tmp/gloo-perf-<job id or uid>)\n"
    "  GLOO_IFNAME              network interface of the TCP transport\n"
    "                           (default 127.0.0.1 on one host, else the host name)\n";

bool verboseRank()
{
    int rank = 0;
    if (!envInt("WEFT_RANK", &rank))
        envInt("OMPI_COMM_WORLD_RANK", &rank);
    return rank == 0;
}

} // namespace

int main(int argc, char **argv)
{
    ToolOptions tool;
    bench_extra_opts_t extra = {"t:a:", handleOption, &tool, kHelp};
    bench_opts_t opts;

    int rc = bench_parse_args(argc, argv, "gloo-perf", &extra, verboseRank(), &opts);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (tool.bcube && opts.coll != BENCH_ALLREDUCE) {
        if (verboseRank())
            fprintf(stderr, "gloo-perf: error: -a applies to allreduce only\n");
        return 2;
    }
    return tool.threads > 0 ? runThreads(opts, tool) : runProcess(opts, tool);
}
