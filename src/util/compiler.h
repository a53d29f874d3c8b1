/*
 * compiler.h - small portable helpers used across weft.
 */
#ifndef WEFT_UTIL_COMPILER_H
#define WEFT_UTIL_COMPILER_H

#include <stddef.h>

#define WEFT_LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WEFT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WEFT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WEFT_MAX(a, b) ((a) > (b) ? (a) : (b))
#define WEFT_DIV_UP(a, b) (((a) + (b)-1) / (b))
#define WEFT_ALIGN_UP(x, a) (WEFT_DIV_UP((x), (a)) * (a))
#define WEFT_CACHE_LINE 64
#define WEFT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WEFT_UNUSED __attribute__((unused))
#define WEFT_EXPORT __attribute__((visibility("default")))

/* One helper to propagate an error to a cleanup label; the goto is visible
 * at the call site, unlike a macro that hides a return. */
#define WEFT_CHECK_GOTO(expr, status_var, label) \
    do {                                         \
        (status_var) = (expr);                   \
        if (WEFT_UNLIKELY((status_var) < 0))     \
            goto label;                          \
    } while (0)

static inline void weft__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

#endif
