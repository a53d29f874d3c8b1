/*
 * tuner.h - choosing an algorithm per (collective, size, machine).
 *
 * Every candidate generator of the collective is priced by its own steps
 * on the communicator's cost model (sim.c) and the cheapest is kept, one
 * decision per collective and power-of-two size bucket, made at the first
 * call in that bucket and cached.  Every rank runs the same simulation on
 * the same model (agreed at init), so all choose alike.  WEFT_ALGO
 * forces an algorithm; WEFT_TUNER=size uses the plain size thresholds;
 * communicators of more than WEFT_TUNER_MAX_RANKS ranks use the thresholds
 * too (simulating every rank there costs more than it saves).
 */
#ifndef WEFT_ALGO_TUNER_H
#define WEFT_ALGO_TUNER_H

#include "algo/sim.h"

#define WEFT_TUNER_BUCKETS 64
#define WEFT_TUNER_MAX_RANKS 256

typedef struct {
    weft_cost_model_t model;
    int use_sim;
    const weft_algo_t *choice[WEFT_NUM_COLLS][WEFT_TUNER_BUCKETS];
} weft_tuner_t;

void weft__tuner_init(weft_tuner_t *t, const weft_cost_model_t *m);

/* The algorithm for a call: forced (if the collective has it), else the
 * cached or newly simulated choice for its size bucket. */
const weft_algo_t *weft__tuner_choose(weft_tuner_t *t, const weft_coll_args_t *a,
                                      const char *forced);

/* The bytes that decide a call's bucket: the whole vector moved. */
uint64_t weft__coll_bytes(const weft_coll_args_t *a);

/* The cluster view and the tuner's choice per collective and size on a
 * system of nodes x ranks_per_node ranks (tuner_report.c); a FILE *. */
struct weft_system;
void weft__tuner_report(void *file, const struct weft_system *sys, int ranks_per_node);

#endif
