/*
 * test_check.h - how a unit test counts and reports failures: FAIL prints
 * where and why (the first 25, so that a broken loop does not drown the
 * log) and counts every one; CHECK fails when its condition is false;
 * FAIL_AT reports at a caller's line.  main returns failures ? 1 : 0.
 */
#ifndef WEFT_TEST_CHECK_H
#define WEFT_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define FAIL_AT(line, ...)                                                                         \
    do {                                                                                           \
        if (failures++ < 25) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, (line));                                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define FAIL(...) FAIL_AT(__LINE__, __VA_ARGS__)

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            FAIL(__VA_ARGS__);                                                                     \
    } while (0)

#endif
