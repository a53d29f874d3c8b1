/*
 * fuzz_util.h - what the libFuzzer targets of tests/fuzz share: a check
 * that aborts (so the fuzzer reports the input) and a connected socket
 * pair preloaded with the input, for parsers that read from a socket.
 *
 * Every target's contract is the same: any input gives a weft status (the
 * parsers never crash, never read or allocate past a bound, never invoke
 * undefined behaviour -- ASan and UBSan watch), and what a parser accepts
 * satisfies the invariants its callers rely on (FUZZ_CHECK).
 */
#ifndef WEFT_TESTS_FUZZ_UTIL_H
#define WEFT_TESTS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The secret the targets' checks expect; the seeds and dictionaries hold it
 * so that the fuzzer gets past the secret comparison. */
static const uint8_t fuzz_secret[32] = "weft-fuzz-secret-0123456789abcd";

/* A connected pair: sv[1] holds data and then end-of-file, sv[0] is what the
 * parser reads.  The input is small (libFuzzer's max_len), so it fits the
 * socket buffer and writing never blocks. */
static inline int fuzz_pair(const uint8_t *data, size_t size, int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = send(sv[1], data + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0)
            break; /* the buffer is full: the parser sees a truncated input */
        done += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);
    return 0;
}

static inline void fuzz_pair_close(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

#endif
