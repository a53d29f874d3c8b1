/*
 * time.h - monotonic clock and deadlines.  Every wait in weft has a deadline
 * expressed in nanoseconds of CLOCK_MONOTONIC.
 */
#ifndef WEFT_UTIL_TIME_H
#define WEFT_UTIL_TIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t weft__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A deadline `seconds` from now; seconds <= 0 means none (UINT64_MAX). */
static inline uint64_t weft__deadline_after(double seconds)
{
    if (seconds <= 0)
        return UINT64_MAX;
    return weft__now_ns() + (uint64_t)(seconds * 1e9);
}

static inline int weft__deadline_passed(uint64_t deadline_ns)
{
    return deadline_ns != UINT64_MAX && weft__now_ns() >= deadline_ns;
}

/* Milliseconds left before the deadline, clamped to [0, cap_ms]. */
static inline int weft__ms_left(uint64_t deadline_ns, int cap_ms)
{
    if (deadline_ns == UINT64_MAX)
        return cap_ms;
    uint64_t now = weft__now_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now + 999999) / 1000000;
    return ms > (uint64_t)cap_ms ? cap_ms : (int)ms;
}

#endif
