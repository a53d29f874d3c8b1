/*
 * config.h - the one configuration table of weft.
 *
 * Every tunable is a row here: its WEFT_<NAME> environment variable, type,
 * default and help text.  Values are read from the environment once, on
 * first use; weft-info (and weft_config_print()) dumps the table.  Nothing
 * else in weft calls getenv() for a WEFT_ variable.
 */
#ifndef WEFT_UTIL_CONFIG_H
#define WEFT_UTIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    WEFT_CFG_DEBUG,
    WEFT_CFG_DEBUG_FILE,
    WEFT_CFG_TIMEOUT,
    WEFT_CFG_ALGO,
    WEFT_CFG_CHUNK_BYTES,
    WEFT_CFG_RD_MAX_BYTES,
    WEFT_CFG_RABENSEIFNER_MAX_BYTES,
    WEFT_CFG_TREE_MAX_BYTES,
    WEFT_CFG_SOCKET_IFNAME,
    WEFT_CFG_SOCKET_NSOCKS,
    WEFT_CFG_SOCKET_MIN_STRIPE_BYTES,
    WEFT_CFG_HOSTID,
    WEFT_CFG_SHM_DISABLE,
    WEFT_CFG_SHM_SLOT_BYTES,
    WEFT_CFG_SHM_NSLOTS,
    WEFT_CFG_SHM_SINGLE_COPY,
    WEFT_CFG_SHM_SINGLE_COPY_MIN_BYTES,
    WEFT_CFG_SPIN_US,
    WEFT_CFG_CPU_ISA,
    WEFT_CFG_RANK,
    WEFT_CFG_NRANKS,
    WEFT_CFG_ROOT,
    WEFT_CFG_SECRET,
    WEFT_CFG_TUNER,
    WEFT_CFG_TOPO_FILE,
    WEFT_CFG_TOPO_DUMP_FILE,
    WEFT_CFG_CHECK,
    WEFT_CFG_DEBUG_SIGNAL,
    WEFT_CFG_CUDA_IPC,
    WEFT_CFG_CUDA_IPC_BYTES,
    WEFT_CFG_CUDA_IPC_ONESHOT_MAX_BYTES,
    WEFT_CFG_STAGE_PIECE_BYTES,
    WEFT_CFG_COUNT
} weft_cfg_key_t;

int64_t weft__config_int(weft_cfg_key_t key);
double weft__config_double(weft_cfg_key_t key);
const char *weft__config_str(weft_cfg_key_t key);
/* 1 if the variable was set in the environment. */
int weft__config_is_set(weft_cfg_key_t key);

/* Re-reads the environment; for tests that change variables at run time. */
void weft__config_reload(void);

void weft__config_dump(FILE *out);

/* Value parsers (config_parse.c), for config.c and the fuzzer: 0 and the
 * value, or -1 and the reason in why.  Integers: decimal or 0x, optional
 * K/M/G (powers of 1024), no overflow.  Doubles: finite.  Booleans: 1/0,
 * true/false, yes/no, on/off.  Strings: shorter than cap, no control
 * characters. */
int weft__config_parse_int(const char *text, int64_t *out, char *why, size_t why_len);
int weft__config_parse_double(const char *text, double *out, char *why, size_t why_len);
int weft__config_parse_bool(const char *text, int64_t *out, char *why, size_t why_len);
int weft__config_parse_str(const char *text, size_t cap, char *why, size_t why_len);

#endif
