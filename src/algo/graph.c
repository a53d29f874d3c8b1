/*
 * graph.c - building the graph of a schedule (see graph.h), by counting
 * sorts: linear in steps, dependencies and ranks.
 */
#include "algo/graph.h"

#include <stdlib.h>
#include <string.h>

static int grow(uint32_t **a, uint32_t need)
{
    uint32_t *p = realloc(*a, (size_t)(need ? need : 1) * sizeof(uint32_t));
    if (p == NULL)
        return -1;
    *a = p;
    return 0;
}

static int reserve(weft_graph_t *g, const weft_sched_t *s, int nranks)
{
    if (s->nsteps + 1 > g->cap_steps || g->succ_first == NULL) {
        uint32_t n = s->nsteps + s->nsteps / 2 + 16;
        if (grow(&g->succ_first, n + 1) || grow(&g->q[0], n) || grow(&g->q[1], n) ||
            grow(&g->ordinal, n))
            return -1;
        g->cap_steps = n;
    }
    if (s->ndeps > g->cap_deps || g->succ == NULL) {
        uint32_t n = s->ndeps + s->ndeps / 2 + 16;
        if (grow(&g->succ, n))
            return -1;
        g->cap_deps = n;
    }
    if (nranks > g->cap_ranks || g->q_first[0] == NULL) {
        if (grow(&g->q_first[0], (uint32_t)nranks + 1) ||
            grow(&g->q_first[1], (uint32_t)nranks + 1))
            return -1;
        g->cap_ranks = nranks;
    }
    return 0;
}

weft_status_t weft__graph_build(weft_graph_t *g, const weft_sched_t *s, int nranks)
{
    if (reserve(g, s, nranks) != 0)
        return WEFT_ERR_NO_MEMORY;
    uint32_t ns = s->nsteps;
    memset(g->succ_first, 0, (ns + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < ns; i++) {
        for (uint32_t d = 0; d < s->steps[i].ndeps; d++)
            g->succ_first[s->deps[s->steps[i].dep_first + d] + 1]++;
    }
    for (uint32_t i = 0; i < ns; i++)
        g->succ_first[i + 1] += g->succ_first[i];
    /* ordinal[] serves as the fill cursor of each step's list first. */
    memset(g->ordinal, 0, ns * sizeof(uint32_t));
    for (uint32_t i = 0; i < ns; i++) {
        for (uint32_t d = 0; d < s->steps[i].ndeps; d++) {
            uint32_t dep = s->deps[s->steps[i].dep_first + d];
            g->succ[g->succ_first[dep] + g->ordinal[dep]++] = i;
        }
    }
    for (int d = 0; d < 2; d++)
        memset(g->q_first[d], 0, ((size_t)nranks + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < ns; i++) {
        if (weft__step_is_comm(&s->steps[i]))
            g->q_first[weft__step_dir(&s->steps[i])][s->steps[i].peer + 1]++;
    }
    for (int d = 0; d < 2; d++) {
        for (int p = 0; p < nranks; p++)
            g->q_first[d][p + 1] += g->q_first[d][p];
    }
    /* Fill in schedule order: that is the posting (and matching) order.
     * The fill cursor of peer p in direction d is q_first[d][p] moved along
     * as entries land, restored afterwards. */
    for (uint32_t i = 0; i < ns; i++) {
        const weft_step_t *st = &s->steps[i];
        if (!weft__step_is_comm(st))
            continue;
        int d = weft__step_dir(st);
        uint32_t at = g->q_first[d][st->peer]++;
        g->q[d][at] = i;
    }
    for (int d = 0; d < 2; d++) {
        for (int p = nranks; p > 0; p--)
            g->q_first[d][p] = g->q_first[d][p - 1];
        g->q_first[d][0] = 0;
    }
    for (int d = 0; d < 2; d++) {
        for (int p = 0; p < nranks; p++) {
            for (uint32_t k = g->q_first[d][p]; k < g->q_first[d][p + 1]; k++)
                g->ordinal[g->q[d][k]] = k - g->q_first[d][p];
        }
    }
    return WEFT_OK;
}

void weft__graph_free(weft_graph_t *g)
{
    free(g->succ_first);
    free(g->succ);
    for (int d = 0; d < 2; d++) {
        free(g->q_first[d]);
        free(g->q[d]);
    }
    free(g->ordinal);
    memset(g, 0, sizeof(*g));
}
