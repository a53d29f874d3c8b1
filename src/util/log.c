/*
 * log.c - logging and per-thread errors (see log.h).
 */
#include "util/log.h"
#include "util/config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

/* TRACE until the configuration is read: the WEFT_LOG macro then calls
 * weft__log(), which reads WEFT_DEBUG and sets the real level, so the first
 * INFO line of a run is not lost. */
_Atomic int weft__log_level = WEFT_LOG_TRACE;

static FILE *log_file;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static char log_host[64];

/* Room for a peer's failure notice quoted inside this rank's message
 * (transport/notice.c): up to 511 bytes of it and a sentence around it. */
static __thread char last_error[1024];
static __thread int last_error_set;
static __thread int ctx_rank = -1, ctx_nranks = -1;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "TRACE"};

static void log_init_once(void)
{
    const char *level = weft__config_str(WEFT_CFG_DEBUG);
    int chosen = WEFT_LOG_WARN;
    for (int i = 0; i < (int)WEFT_ARRAY_SIZE(level_names); i++) {
        if (strcasecmp(level, level_names[i]) == 0)
            chosen = i;
    }
    atomic_store_explicit(&weft__log_level, chosen, memory_order_relaxed);
    const char *path = weft__config_str(WEFT_CFG_DEBUG_FILE);
    log_file = stderr;
    if (path[0] != '\0') {
        FILE *f = fopen(path, "a");
        if (f != NULL)
            log_file = f;
    }
    if (gethostname(log_host, sizeof(log_host)) != 0)
        strcpy(log_host, "?");
    log_host[sizeof(log_host) - 1] = '\0';
}

void weft__log_init(void)
{
    pthread_once(&log_once, log_init_once);
}

void weft__log_set_context(int rank, int nranks)
{
    ctx_rank = rank;
    ctx_nranks = nranks;
}

static void log_vwrite(weft_log_level_t level, const char *file, int line, const char *fmt,
                       va_list ap)
{
    char msg[1280]; /* room for a whole last_error and its status */
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char where[96] = "";
    if (file != NULL) {
        const char *base = strrchr(file, '/');
        snprintf(where, sizeof(where), " (%s:%d)", base != NULL ? base + 1 : file, line);
    }
    char who[48] = "";
    if (ctx_rank >= 0)
        snprintf(who, sizeof(who), " [rank %d/%d]", ctx_rank, ctx_nranks);
    /* One fprintf per line so that lines of different threads do not mix. */
    fprintf(log_file, "%s:%d weft %s%s %s%s\n", log_host, (int)getpid(), level_names[level],
            who, msg, where);
    fflush(log_file);
}

void weft__log(weft_log_level_t level, const char *file, int line, const char *fmt, ...)
{
    weft__log_init();
    if ((int)level > weft__log_level_now())
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, file, line, fmt, ap);
    va_end(ap);
}

static weft_status_t error_v(weft_status_t status, const char *fmt, va_list ap)
{
    weft__log_init();
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    last_error_set = 1;
    weft_log_level_t level = (status == WEFT_ERR_INVALID_ARGUMENT ||
                              status == WEFT_ERR_INVALID_USAGE)
                                 ? WEFT_LOG_INFO
                                 : WEFT_LOG_WARN;
    if ((int)level <= weft__log_level_now())
        weft__log(level, NULL, 0, "%s: %s", weft_status_string(status), last_error);
    return status;
}

weft_status_t weft__error(weft_status_t status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(status, fmt, ap);
    va_end(ap);
    return status;
}

weft_status_t weft__error_keep(weft_status_t status, const char *fmt, ...)
{
    if (last_error_set)
        return status;
    va_list ap;
    va_start(ap, fmt);
    error_v(status, fmt, ap);
    va_end(ap);
    return status;
}

void weft__clear_error(void)
{
    last_error[0] = '\0';
    last_error_set = 0;
}

WEFT_EXPORT const char *weft_last_error(void)
{
    return last_error_set ? last_error : "no error";
}

WEFT_EXPORT const char *weft_status_string(weft_status_t status)
{
    switch (status) {
    case WEFT_OK: return "success";
    case WEFT_IN_PROGRESS: return "in progress";
    case WEFT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case WEFT_ERR_INVALID_USAGE: return "invalid usage";
    case WEFT_ERR_SYSTEM: return "system error";
    case WEFT_ERR_INTERNAL: return "internal error";
    case WEFT_ERR_REMOTE: return "remote peer failed";
    case WEFT_ERR_TIMEOUT: return "timed out";
    case WEFT_ERR_UNSUPPORTED: return "unsupported";
    case WEFT_ERR_NO_MEMORY: return "out of memory";
    case WEFT_ERR_CUDA: return "CUDA error";
    }
    return "unknown status";
}
