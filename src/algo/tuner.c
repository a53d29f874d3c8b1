/*
 * tuner.c - the choice of algorithm (see tuner.h).
 */
#include "algo/tuner.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"

#include <string.h>

void weft__tuner_init(weft_tuner_t *t, const weft_cost_model_t *m)
{
    memset(t, 0, sizeof(*t));
    t->model = *m;
    t->use_sim = strcmp(weft__config_str(WEFT_CFG_TUNER), "size") != 0;
}

uint64_t weft__coll_bytes(const weft_coll_args_t *a)
{
    uint64_t b = a->count * weft__dtype_size(a->dt);
    if (a->coll == WEFT_COLL_ALLGATHER || a->coll == WEFT_COLL_REDUCE_SCATTER)
        b *= (uint64_t)a->nranks;
    return b;
}

static int bucket_of(uint64_t bytes)
{
    int b = 0;
    while (b < WEFT_TUNER_BUCKETS - 1 && (1ull << b) < bytes)
        b++;
    return b;
}

/* Candidates worth pricing: none that runs only when forced; the
 * hierarchical ones only across nodes; the direct ones (oneshot, twoshot)
 * only on one node -- across nodes each rank's n-1 messages go through
 * sockets (on the emulated cluster, 4 nodes x 2 rails, the one-shot took
 * 300-570 us at 8 B-2 KiB against recursive doubling's 150-250), and
 * their n^2 steps cost the simulation most where they never win. */
static int candidate(const weft_algo_t *al, const weft_coll_args_t *a)
{
    int multi = a->layout != NULL && a->layout->nnodes > 1;
    if (al->forced_only)
        return 0;
    if (strncmp(al->name, "hier", 4) == 0)
        return multi;
    if (strcmp(al->name, "oneshot") == 0 || strcmp(al->name, "twoshot") == 0)
        return !multi;
    return 1;
}

static const weft_algo_t *simulate_best(const weft_tuner_t *t, const weft_coll_args_t *a)
{
    const weft_algo_t *list[16], *best = NULL;
    double best_us = 0;
    int k = weft__algo_list(a->coll, list, 16);
    for (int i = 0; i < k; i++) {
        weft_sim_result_t res;
        if (!candidate(list[i], a) || weft__simulate(list[i], a, &t->model, &res) != WEFT_OK)
            continue;
        WEFT_TRACE("tuner: %s of %llu bytes: %s %.1f us", weft__coll_name(a->coll),
                   (unsigned long long)weft__coll_bytes(a), list[i]->name, res.time_us);
        if (best == NULL || res.time_us < best_us) {
            best = list[i];
            best_us = res.time_us;
        }
    }
    return best;
}

const weft_algo_t *weft__tuner_choose(weft_tuner_t *t, const weft_coll_args_t *a,
                                      const char *forced)
{
    if (forced != NULL && forced[0] != '\0') {
        const weft_algo_t *al = weft__algo_find(a->coll, forced);
        if (al != NULL)
            return al;
    }
    const weft_algo_t *list[16];
    if (!t->use_sim || a->nranks > WEFT_TUNER_MAX_RANKS || a->nranks == 1 ||
        weft__algo_list(a->coll, list, 16) < 2)
        return weft__algo_choose(a, NULL);
    int b = bucket_of(weft__coll_bytes(a));
    if (t->choice[a->coll][b] == NULL) {
        const weft_algo_t *al = simulate_best(t, a);
        t->choice[a->coll][b] = al != NULL ? al : weft__algo_choose(a, NULL);
        WEFT_INFO("tuner: %s up to %llu bytes: %s", weft__coll_name(a->coll),
                  (unsigned long long)(1ull << b), t->choice[a->coll][b]->name);
    }
    return t->choice[a->coll][b];
}
