/*
 * config.c - the configuration table (see config.h).
 *
 * Integers accept K, M and G suffixes (powers of 1024).  A value that does
 * not parse (config_parse.c) keeps the default and says so once, at WARN,
 * with the reason.
 */
#include "util/config.h"
#include "util/compiler.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CFG_STR, CFG_INT, CFG_DOUBLE, CFG_BOOL } cfg_type_t;

typedef struct {
    const char *name; /* without the WEFT_ prefix */
    cfg_type_t type;
    const char *dflt;
    const char *help;
} cfg_row_t;

static const cfg_row_t table[WEFT_CFG_COUNT] = {
    [WEFT_CFG_DEBUG] = {"DEBUG", CFG_STR, "WARN", "log level: ERROR, WARN, INFO or TRACE"},
    [WEFT_CFG_DEBUG_FILE] = {"DEBUG_FILE", CFG_STR, "", "append log lines to this file instead of stderr"},
    [WEFT_CFG_TIMEOUT] = {"TIMEOUT", CFG_DOUBLE, "300",
                          "seconds an init or a call may wait without any progress before "
                          "WEFT_ERR_TIMEOUT; 0 waits forever"},
    [WEFT_CFG_ALGO] = {"ALGO", CFG_STR, "",
                       "force an algorithm: ring, rd, rabenseifner, dbt, oneshot, twoshot, hier, "
                       "hier_hd, hier_rd, tree or chain (where the collective has it); empty "
                       "lets the tuner choose"},
    [WEFT_CFG_CHUNK_BYTES] = {"CHUNK_BYTES", CFG_INT, "1M",
                              "pipeline slice: ring and chain steps move at most this much"},
    [WEFT_CFG_RD_MAX_BYTES] = {"RD_MAX_BYTES", CFG_INT, "8K",
                               "all-reduce and all-gather up to this size use recursive doubling"},
    [WEFT_CFG_RABENSEIFNER_MAX_BYTES] = {"RABENSEIFNER_MAX_BYTES", CFG_INT, "256K",
                                         "all-reduce and reduce-scatter up to this size use "
                                         "Rabenseifner halving-doubling; above it, ring"},
    [WEFT_CFG_TREE_MAX_BYTES] = {"TREE_MAX_BYTES", CFG_INT, "64K",
                                 "broadcast and reduce up to this size use a binomial tree; "
                                 "above it, a pipelined chain"},
    [WEFT_CFG_SOCKET_IFNAME] = {"SOCKET_IFNAME", CFG_STR, "",
                                "network interface for bootstrap and sockets; empty picks the "
                                "first up non-loopback one, else loopback"},
    [WEFT_CFG_SOCKET_NSOCKS] = {"SOCKET_NSOCKS", CFG_INT, "2",
                                "TCP connections per peer pair; large messages are striped "
                                "across them"},
    [WEFT_CFG_SOCKET_MIN_STRIPE_BYTES] = {"SOCKET_MIN_STRIPE_BYTES", CFG_INT, "64K",
                                          "messages below this size use one connection"},
    [WEFT_CFG_HOSTID] = {"HOSTID", CFG_STR, "",
                         "override the node identity (hostname + boot id); ranks with "
                         "different ids talk over sockets"},
    [WEFT_CFG_SHM_DISABLE] = {"SHM_DISABLE", CFG_BOOL, "0",
                              "1: never use shared memory, even within a node"},
    [WEFT_CFG_SHM_SLOT_BYTES] = {"SHM_SLOT_BYTES", CFG_INT, "256K",
                                 "size of one slot of a shared-memory FIFO"},
    [WEFT_CFG_SHM_NSLOTS] = {"SHM_NSLOTS", CFG_INT, "8", "slots per shared-memory FIFO"},
    [WEFT_CFG_SHM_SINGLE_COPY] = {"SHM_SINGLE_COPY", CFG_INT, "1",
                                  "large intra-node messages are read straight from the "
                                  "sender's buffer: 1 between threads of a process, 2 also "
                                  "between processes (process_vm_readv), 0 never"},
    [WEFT_CFG_SHM_SINGLE_COPY_MIN_BYTES] = {"SHM_SINGLE_COPY_MIN_BYTES", CFG_INT, "64K",
                                            "messages from this size use single copy"},
    [WEFT_CFG_SPIN_US] = {"SPIN_US", CFG_INT, "50",
                          "microseconds a waiting rank polls before it starts yielding the CPU; "
                          "unset: 50, or 0 when this machine runs more ranks than it has CPUs"},
    [WEFT_CFG_CPU_ISA] = {"CPU_ISA", CFG_STR, "auto",
                           "reduction kernels: auto picks the best the CPU has; generic, avx, "
                           "avx2 or avx512 force one (falling back if the CPU lacks it)"},
    [WEFT_CFG_RANK] = {"RANK", CFG_INT, "-1", "weft_comm_init_env: this process's rank"},
    [WEFT_CFG_NRANKS] = {"NRANKS", CFG_INT, "-1", "weft_comm_init_env: number of ranks"},
    [WEFT_CFG_ROOT] = {"ROOT", CFG_STR, "",
                       "weft_comm_init_env: host:port where rank 0 opens the rendezvous"},
    [WEFT_CFG_TUNER] = {"TUNER", CFG_STR, "sim",
                        "sim: price every algorithm's schedule on the machine's cost model "
                        "and take the cheapest; size: fixed size thresholds"},
    [WEFT_CFG_TOPO_FILE] = {"TOPO_FILE", CFG_STR, "",
                            "load the node's (or a cluster's) topology from this file instead "
                            "of detecting it (format: docs/TOPOLOGY.md)"},
    [WEFT_CFG_TOPO_DUMP_FILE] = {"TOPO_DUMP_FILE", CFG_STR, "",
                                 "write the detected topology to this file"},
    [WEFT_CFG_CHECK] = {"CHECK", CFG_STR, "header",
                        "signature checks of every call (sequence number, collective, count, "
                        "datatype, op, root): header checks the one each message carries; 1 "
                        "(or full) also compares every rank's with every other's before data "
                        "moves; 0 (or off) none, to measure what they cost"},
    [WEFT_CFG_DEBUG_SIGNAL] = {"DEBUG_SIGNAL", CFG_BOOL, "0",
                               "1: SIGUSR1 prints a report of every communicator of the "
                               "process (pending call, step, each peer's last sequence "
                               "number) to the log"},
    [WEFT_CFG_SECRET] = {"SECRET", CFG_STR, "",
                         "weft_comm_init_env: shared secret every connection must present; "
                         "empty derives one from the launcher's job id"},
    [WEFT_CFG_CUDA_IPC] = {"CUDA_IPC", CFG_BOOL, "0",
                           "1: all-reduce on device buffers within one node reads the peers' GPU "
                           "memory through CUDA IPC (one-shot) instead of staging through host "
                           "memory; every rank must set it (off by default until validated on "
                           "GPUs)"},
    [WEFT_CFG_CUDA_IPC_BYTES] = {"CUDA_IPC_BYTES", CFG_INT, "32M",
                                 "GPU memory each rank shares for WEFT_CUDA_IPC; larger calls "
                                 "run in pieces of this size"},
    [WEFT_CFG_CUDA_IPC_ONESHOT_MAX_BYTES] = {"CUDA_IPC_ONESHOT_MAX_BYTES", CFG_INT, "256K",
                                             "WEFT_CUDA_IPC: all-reduces up to this size are "
                                             "one-shot (each rank reads every buffer), larger "
                                             "ones two-shot; every rank must set it alike"},
    [WEFT_CFG_STAGE_PIECE_BYTES] = {"STAGE_PIECE_BYTES", CFG_INT, "4M",
                                    "device all-reduce, broadcast and reduce staged through host "
                                    "memory move in pieces of this size, so that copying one "
                                    "overlaps the network moving another; every rank must set it "
                                    "alike; 0: one piece"},
};

typedef struct {
    int is_set;
    char str[256];
    int64_t i;
    double d;
} cfg_value_t;

static cfg_value_t values[WEFT_CFG_COUNT];
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;

/* The parsers are in config_parse.c; why receives the reason for a -1. */
static int parse_value(const cfg_row_t *row, const char *text, cfg_value_t *v, char *why,
                       size_t why_len)
{
    if (weft__config_parse_str(text, sizeof(v->str), why, why_len) != 0)
        return -1;
    snprintf(v->str, sizeof(v->str), "%s", text);
    switch (row->type) {
    case CFG_STR: return 0;
    case CFG_INT: return weft__config_parse_int(text, &v->i, why, why_len);
    case CFG_BOOL: return weft__config_parse_bool(text, &v->i, why, why_len);
    case CFG_DOUBLE: return weft__config_parse_double(text, &v->d, why, why_len);
    }
    return -1;
}

static void load_all(void)
{
    pthread_mutex_lock(&cfg_lock);
    for (int k = 0; k < WEFT_CFG_COUNT; k++) {
        char env[96];
        snprintf(env, sizeof(env), "WEFT_%s", table[k].name);
        const char *text = getenv(env);
        cfg_value_t v = {0};
        char why[128];
        parse_value(&table[k], table[k].dflt, &v, why, sizeof(why));
        if (text != NULL) {
            cfg_value_t user = {.is_set = 1};
            if (parse_value(&table[k], text, &user, why, sizeof(why)) == 0)
                v = user;
            else /* %.64s: the text may be long, and is printed only to be recognised */
                fprintf(stderr, "weft WARN %s=\"%.64s\" is refused: %s; using the default %s\n",
                        env, text, why, table[k].dflt);
        }
        values[k] = v;
    }
    pthread_mutex_unlock(&cfg_lock);
}

static const cfg_value_t *get(weft_cfg_key_t key)
{
    pthread_once(&cfg_once, load_all);
    return &values[key];
}

int64_t weft__config_int(weft_cfg_key_t key) { return get(key)->i; }
double weft__config_double(weft_cfg_key_t key) { return get(key)->d; }
const char *weft__config_str(weft_cfg_key_t key) { return get(key)->str; }
int weft__config_is_set(weft_cfg_key_t key) { return get(key)->is_set; }

void weft__config_reload(void)
{
    pthread_once(&cfg_once, load_all);
    load_all();
}

void weft__config_dump(FILE *out)
{
    static const char *const type_names[] = {"string", "int", "float", "bool"};
    fprintf(out, "%-32s %-10s %-8s %-10s %s\n", "variable", "value", "type", "default", "help");
    for (int k = 0; k < WEFT_CFG_COUNT; k++) {
        const cfg_value_t *v = get((weft_cfg_key_t)k);
        char env[96];
        snprintf(env, sizeof(env), "WEFT_%s", table[k].name);
        fprintf(out, "%-32s %-10s %-8s %-10s %s\n", env, v->str[0] ? v->str : "\"\"",
                type_names[table[k].type], table[k].dflt[0] ? table[k].dflt : "\"\"",
                table[k].help);
    }
}

WEFT_EXPORT void weft_config_print(void *file)
{
    weft__config_dump(file != NULL ? (FILE *)file : stdout);
}
