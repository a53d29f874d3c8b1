/*
 * diag_util.h - what test_diag.c, test_mismatch*.c and test_inherit.c
 * share: checks that count failures, "parties", ranks as threads of this
 * process that join one communicator through weft_comm_init_rank_config
 * and then run a body each, and buffers with guard bytes.
 */
#ifndef TEST_DIAG_UTIL_H
#define TEST_DIAG_UTIL_H

#include <weft.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
            failures++;                                                         \
        }                                                                       \
    } while (0)

/* The call returns `want`; with `needle`, the message mentions it. */
#define EXPECT(call, want, needle)                                              \
    do {                                                                        \
        weft_status_t got_ = (call);                                            \
        const char *n_ = (needle);                                              \
        CHECK(got_ == (want), "%s returned %s, expected %s (%s)", #call,       \
              weft_status_string(got_), weft_status_string(want), weft_last_error()); \
        if (n_ != NULL)                                                         \
            CHECK(strstr(weft_last_error(), n_) != NULL,                        \
                  "%s: the message \"%s\" does not name %s", #call,            \
                  weft_last_error(), n_);                                       \
    } while (0)

typedef struct party party_t;
struct party {
    int rank, nranks;
    weft_comm_t comm;
    const weft_unique_id_t *id;
    const weft_config_t *cfg;
    weft_status_t st;
    char msg[1024];
    void (*body)(party_t *x);
    void *user;
};

static inline void *party_join(void *arg)
{
    party_t *x = arg;
    x->st = weft_comm_init_rank_config(x->nranks, x->id, x->rank, x->cfg, &x->comm);
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
    return NULL;
}

static inline void *party_main(void *arg)
{
    party_t *x = arg;
    x->body(x);
    return NULL;
}

/* Runs fn on every party, one thread each. */
static inline void parties_spawn(party_t *x, int n, void *(*fn)(void *))
{
    pthread_t th[16];
    for (int r = 0; r < n; r++)
        pthread_create(&th[r], NULL, fn, &x[r]);
    for (int r = 0; r < n; r++)
        pthread_join(th[r], NULL);
}

static inline int parties_init(party_t *x, int n, const weft_config_t *cfg)
{
    static weft_unique_id_t id;
    if (weft_get_unique_id(&id) != WEFT_OK) {
        CHECK(0, "weft_get_unique_id: %s", weft_last_error());
        return -1;
    }
    for (int r = 0; r < n; r++)
        x[r] = (party_t){r, n, NULL, &id, cfg, WEFT_OK, "", NULL, NULL};
    parties_spawn(x, n, party_join);
    int bad = 0;
    for (int r = 0; r < n; r++) {
        CHECK(x[r].st == WEFT_OK, "rank %d could not join: %s", r, x[r].msg);
        bad += x[r].st != WEFT_OK;
    }
    return bad ? -1 : 0;
}

static inline void parties_run(party_t *x, int n, void (*body)(party_t *x))
{
    for (int r = 0; r < n; r++)
        x[r].body = body;
    parties_spawn(x, n, party_main);
}

/* One all-reduce (#1) and one barrier (#2): every connection is up. */
static inline void warm_up_body(party_t *x)
{
    float v = 1;
    x->st = weft_allreduce(&v, &v, 1, WEFT_FLOAT32, WEFT_SUM, x->comm, NULL);
    if (x->st == WEFT_OK)
        x->st = weft_barrier(x->comm);
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
}

static inline void warm_up_all(party_t *x, int n)
{
    parties_run(x, n, warm_up_body);
    for (int r = 0; r < n; r++)
        CHECK(x[r].st == WEFT_OK, "warm-up on rank %d: %s", r, x[r].msg);
}

static inline void parties_end(party_t *x, int n)
{
    for (int r = 0; r < n; r++) {
        if (x[r].comm != NULL)
            CHECK(weft_comm_destroy(x[r].comm) == WEFT_OK, "destroy rank %d: %s", r,
                  weft_last_error());
        x[r].comm = NULL;
    }
}

/* Buffers with GUARD bytes of 0xab on both sides, for "nothing written
 * out of bounds": the user's bytes start at p + GUARD. */
#define GUARD 256

static inline unsigned char *guarded(size_t bytes)
{
    unsigned char *p = malloc(bytes + 2 * GUARD);
    memset(p, 0xab, bytes + 2 * GUARD);
    memset(p + GUARD, 0x01, bytes);
    return p;
}

static inline int guards_intact(const unsigned char *p, size_t bytes)
{
    for (size_t i = 0; i < GUARD; i++) {
        if (p[i] != 0xab || p[GUARD + bytes + i] != 0xab)
            return 0;
    }
    return 1;
}

static inline int file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[2048];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

#endif
