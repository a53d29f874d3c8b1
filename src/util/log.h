/*
 * log.h - leveled logging and the per-thread last error.
 *
 * WEFT_DEBUG selects the level (ERROR, WARN, INFO, TRACE; WARN by default).
 * Lines go to stderr, or to WEFT_DEBUG_FILE, each prefixed with the host,
 * pid and the rank context the calling thread last set.
 *
 * weft__error() is how an error is born: it records the message as the
 * thread's last error (what weft_last_error() returns), logs it where it
 * was first detected, and returns the status so that callers can write
 * `return weft__error(WEFT_ERR_..., "...")`.
 */
#ifndef WEFT_UTIL_LOG_H
#define WEFT_UTIL_LOG_H

#include <stdatomic.h>
#include "util/compiler.h"
#include <weft.h>

typedef enum {
    WEFT_LOG_ERROR = 0,
    WEFT_LOG_WARN = 1,
    WEFT_LOG_INFO = 2,
    WEFT_LOG_TRACE = 3
} weft_log_level_t;

/* Read by every thread at every log site, set once by the first: atomic,
 * read relaxed (a stale level only shows or hides one early line). */
extern _Atomic int weft__log_level;

static inline int weft__log_level_now(void)
{
    return atomic_load_explicit(&weft__log_level, memory_order_relaxed);
}

void weft__log_init(void);
void weft__log(weft_log_level_t level, const char *file, int line, const char *fmt, ...)
    WEFT_PRINTF(4, 5);

#define WEFT_LOG(level, ...)                                                   \
    do {                                                                      \
        if (WEFT_UNLIKELY((int)(level) <= weft__log_level_now()))             \
            weft__log((level), __FILE__, __LINE__, __VA_ARGS__);              \
    } while (0)
#define WEFT_WARN(...) WEFT_LOG(WEFT_LOG_WARN, __VA_ARGS__)
#define WEFT_INFO(...) WEFT_LOG(WEFT_LOG_INFO, __VA_ARGS__)
#define WEFT_TRACE(...) WEFT_LOG(WEFT_LOG_TRACE, __VA_ARGS__)

/* Records and logs an error; returns status.  Argument and usage errors
 * log at INFO (the caller gets the message), the rest at WARN. */
weft_status_t weft__error(weft_status_t status, const char *fmt, ...) WEFT_PRINTF(2, 3);

/* Like weft__error() but keeps the thread's last error if one is already
 * set for this failure; used when a lower layer has said more. */
weft_status_t weft__error_keep(weft_status_t status, const char *fmt, ...) WEFT_PRINTF(2, 3);

void weft__clear_error(void);

/* A per-thread tag ("rank 3/8") that log lines carry. */
void weft__log_set_context(int rank, int nranks);

#endif
