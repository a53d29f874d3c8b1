/*
 * launch.c - rank, size, rendezvous and secret for weft_comm_init_env, from
 * whatever launched the process.
 *
 * Rank and size: WEFT_RANK/WEFT_NRANKS (the config table) if set; else the
 * innermost launcher that left its variables: OpenMPI
 * (OMPI_COMM_WORLD_RANK/SIZE), torchrun (RANK/WORLD_SIZE), Slurm
 * (SLURM_PROCID/SLURM_NTASKS).  torchrun comes before Slurm because torchrun
 * is often started inside an allocation, by sbatch or srun, whose
 * SLURM_PROCID then describes the launcher, not this worker.
 *
 * Rendezvous: WEFT_ROOT; else MASTER_ADDR:MASTER_PORT; else, when the
 * launcher says every rank is on this node, 127.0.0.1 at a port derived
 * from the job id, the same in every rank; else an error that asks for
 * WEFT_ROOT.
 *
 * These variables belong to the launchers, not to weft, so they are read
 * here with getenv(); WEFT_* ones come from the config table.  Every read
 * goes through a getter (launch_env_t), so that weft__launch_info_from can
 * parse any set of variables -- a fuzzer's -- without the environment and
 * without resolving host names.  Whatever the variables hold, the answer
 * is a launch info or an error naming the variable: numbers are strict
 * decimals in range, addresses are host:port or [v6]:port with a port in
 * 1..65535.
 */
#include "bootstrap/proto.h"
#include "util/config.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    weft__env_get_fn get;
    void *ctx;
    int resolve; /* 0: check addresses' syntax only, no name lookups */
} launch_env_t;

static const char *env_get(const launch_env_t *e, const char *name)
{
    const char *v = e->get(e->ctx, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The process's own variables: WEFT_* ones through the config table (set
 * and parsed there), the launchers' with getenv(). */
static const char *process_env(void *ctx, const char *name)
{
    (void)ctx;
    static const struct {
        const char *name;
        weft_cfg_key_t key;
    } weft_vars[] = {{"WEFT_RANK", WEFT_CFG_RANK},
                     {"WEFT_NRANKS", WEFT_CFG_NRANKS},
                     {"WEFT_ROOT", WEFT_CFG_ROOT},
                     {"WEFT_SECRET", WEFT_CFG_SECRET}};
    for (size_t i = 0; i < sizeof(weft_vars) / sizeof(weft_vars[0]); i++) {
        if (strcmp(name, weft_vars[i].name) == 0)
            return weft__config_is_set(weft_vars[i].key) ? weft__config_str(weft_vars[i].key)
                                                         : NULL;
    }
    return getenv(name);
}

static uint64_t fnv1a64(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t mix64(uint64_t x) /* splitmix64's finaliser */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* 32 bytes from a string, the same in every process.  Not a cryptographic
 * hash: the secret travels in the clear in every hello anyway (proto.h), so
 * it keeps out strangers and other jobs, and is exactly as secret as the
 * text it comes from. */
static void hash_secret(const char *domain, const char *text, uint8_t out[WEFT_SECRET_BYTES])
{
    for (int lane = 0; lane < WEFT_SECRET_BYTES / 8; lane++) {
        uint64_t h = 14695981039346656037ull ^ mix64((uint64_t)lane + 1);
        h = fnv1a64(fnv1a64(h, domain), "\x1f");
        weft__put_le64(out + 8 * lane, mix64(fnv1a64(h, text)));
    }
}

/* A strict non-negative decimal integer; an error names the variable. */
static weft_status_t parse_count(const char *var, const char *text, long *out)
{
    char *end = NULL;
    long v = text != NULL && text[0] >= '0' && text[0] <= '9' ? strtol(text, &end, 10) : -1;
    if (v < 0 || end == NULL || *end != '\0' || v > WEFT_BOOTSTRAP_MAX_RANKS)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=\"%s\" is not a number in 0..%d", var,
                           text != NULL ? text : "", WEFT_BOOTSTRAP_MAX_RANKS);
    *out = v;
    return WEFT_OK;
}

static weft_status_t check_ranks(const char *rank_var, long rank, const char *size_var, long size,
                                 weft__launch_info_t *info)
{
    if (size < 1 || size > WEFT_BOOTSTRAP_MAX_RANKS)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=%ld: the size must be in 1..%d", size_var,
                           size, WEFT_BOOTSTRAP_MAX_RANKS);
    if (rank < 0 || rank >= size)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=%ld is out of range 0..%ld (%s=%ld)",
                           rank_var, rank, size - 1, size_var, size);
    info->rank = (int)rank;
    info->nranks = (int)size;
    return WEFT_OK;
}

static weft_status_t ranks_from_env(const launch_env_t *e, const char *rank_var,
                                    const char *size_var, weft__launch_info_t *info)
{
    const char *rt = env_get(e, rank_var), *st = env_get(e, size_var);
    if (rt == NULL || st == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s is set but %s is not",
                           rt != NULL ? rank_var : size_var, rt != NULL ? size_var : rank_var);
    long rank = 0, size = 0;
    weft_status_t s = parse_count(rank_var, rt, &rank);
    if (s == WEFT_OK)
        s = parse_count(size_var, st, &size);
    return s != WEFT_OK ? s : check_ranks(rank_var, rank, size_var, size, info);
}

static weft_status_t launch_ranks(const launch_env_t *e, weft__launch_info_t *info)
{
    /* WEFT_* first: set by hand, it overrides whatever launched us. */
    static const struct {
        const char *rank_var, *size_var, *source;
    } launchers[] = {
        {"WEFT_RANK", "WEFT_NRANKS", "WEFT_*"},
        {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OpenMPI"},
        {"RANK", "WORLD_SIZE", "torchrun"},
        {"SLURM_PROCID", "SLURM_NTASKS", "Slurm"},
    };
    for (size_t i = 0; i < sizeof(launchers) / sizeof(launchers[0]); i++) {
        if (env_get(e, launchers[i].rank_var) == NULL && env_get(e, launchers[i].size_var) == NULL)
            continue;
        snprintf(info->source, sizeof(info->source), "%s", launchers[i].source);
        return ranks_from_env(e, launchers[i].rank_var, launchers[i].size_var, info);
    }
    return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                       "no launcher found: set WEFT_RANK, WEFT_NRANKS and WEFT_ROOT, or start "
                       "the processes with mpirun, srun or torchrun");
}

/* The launcher's id for this job (and step), or NULL; *var_p names it. */
static const char *job_id(const launch_env_t *e, char *buf, size_t len, const char **var_p)
{
    static const char *const vars[] = {"OMPI_MCA_ess_base_jobid", "PMIX_NAMESPACE", "SLURM_JOB_ID",
                                       "TORCHELASTIC_RUN_ID"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = env_get(e, vars[i]);
        if (v == NULL)
            continue;
        *var_p = vars[i];
        if (strcmp(vars[i], "SLURM_JOB_ID") == 0) {
            /* Two steps of one job may run at once: the step tells them apart. */
            const char *step = env_get(e, "SLURM_STEP_ID") != NULL ? env_get(e, "SLURM_STEP_ID")
                                                                   : env_get(e, "SLURM_STEPID");
            snprintf(buf, len, "%s.%s", v, step != NULL ? step : "0");
            return buf;
        }
        return v;
    }
    return NULL;
}

static int single_node(const launch_env_t *e)
{
    const char *ls = env_get(e, "OMPI_COMM_WORLD_LOCAL_SIZE"),
               *ws = env_get(e, "OMPI_COMM_WORLD_SIZE");
    if (ls != NULL && ws != NULL && strcmp(ls, ws) == 0)
        return 1;
    const char *nn = env_get(e, "SLURM_NNODES"), *jn = env_get(e, "SLURM_JOB_NUM_NODES");
    return (nn != NULL && strcmp(nn, "1") == 0) || (jn != NULL && strcmp(jn, "1") == 0);
}

/* "host:port" text named `what`: resolved, or only checked when e->resolve
 * is 0. */
static weft_status_t root_from_text(const launch_env_t *e, const char *text, const char *what,
                                    weft__launch_info_t *info)
{
    if (e->resolve)
        return weft__net_parse_hostport(text, what, &info->root_addr);
    char host[256];
    unsigned port;
    return weft__net_split_hostport(text, what, host, &port);
}

static weft_status_t launch_root(const launch_env_t *e, weft__launch_info_t *info)
{
    if (env_get(e, "WEFT_ROOT") != NULL)
        return root_from_text(e, env_get(e, "WEFT_ROOT"), "WEFT_ROOT", info);
    const char *host = env_get(e, "MASTER_ADDR"), *port = env_get(e, "MASTER_PORT");
    if (host != NULL || port != NULL) {
        if (host == NULL || port == NULL)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s is set but %s is not",
                               host != NULL ? "MASTER_ADDR" : "MASTER_PORT",
                               host != NULL ? "MASTER_PORT" : "MASTER_ADDR");
        char text[320];
        int bare_v6 = strchr(host, ':') != NULL && host[0] != '[';
        snprintf(text, sizeof(text), bare_v6 ? "[%s]:%s" : "%s:%s", host, port);
        return root_from_text(e, text, "MASTER_ADDR:MASTER_PORT", info);
    }
    char buf[160];
    const char *var = NULL, *id = job_id(e, buf, sizeof(buf), &var);
    if (!single_node(e) || id == NULL || strcmp(var, "TORCHELASTIC_RUN_ID") == 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "no rendezvous address: set WEFT_ROOT=host:port (where rank 0 can "
                           "listen)%s",
                           single_node(e) ? "; all ranks are on this node, but the launcher "
                                            "gave no job id to derive a port from"
                                          : "");
    struct sockaddr_in *a = (struct sockaddr_in *)&info->root_addr;
    memset(&info->root_addr, 0, sizeof(info->root_addr));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons((uint16_t)(20000 + fnv1a64(14695981039346656037ull, id) % 40000));
    WEFT_INFO("all ranks on this node: rendezvous at 127.0.0.1:%u, derived from %s=%s",
              ntohs(a->sin_port), var, id);
    return WEFT_OK;
}

static void launch_secret(const launch_env_t *e, weft__launch_info_t *info)
{
    if (env_get(e, "WEFT_SECRET") != NULL) {
        hash_secret("WEFT_SECRET", env_get(e, "WEFT_SECRET"), info->secret);
        return;
    }
    /* Derived from the job id: it keeps out other jobs and strangers only as
     * well as the job id is unknown to them.  Set WEFT_SECRET for more. */
    char buf[160];
    const char *var = NULL, *id = job_id(e, buf, sizeof(buf), &var);
    if (strcmp(info->source, "torchrun") == 0 && env_get(e, "TORCHELASTIC_RUN_ID") != NULL) {
        var = "TORCHELASTIC_RUN_ID"; /* torchrun's own id, whatever runs around it */
        id = env_get(e, var);
    }
    if (id == NULL)
        WEFT_INFO("no WEFT_SECRET and no launcher job id: the rendezvous admits any weft "
                  "process that finds it; set WEFT_SECRET to authenticate");
    hash_secret(var != NULL ? var : "none", id != NULL ? id : "", info->secret);
}

weft_status_t weft__launch_info_from(weft__env_get_fn get, void *ctx, int resolve,
                                     weft__launch_info_t *info_p)
{
    const launch_env_t env_of = {get, ctx, resolve}, *e = &env_of;
    weft__launch_info_t info = {0};
    weft_status_t st = launch_ranks(e, &info);
    if (st == WEFT_OK)
        st = launch_root(e, &info);
    if (st != WEFT_OK)
        return st;
    launch_secret(e, &info);
    *info_p = info;
    return WEFT_OK;
}

weft_status_t weft__launch_info(weft__launch_info_t *info_p)
{
    return weft__launch_info_from(process_env, NULL, 1, info_p);
}
