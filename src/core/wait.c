/*
 * wait.c - what a rank does when none of its requests can move.
 *
 * Ranks are often threads or processes oversubscribing the cores, and a
 * waiting rank must not take the CPU its peers -- and, across nodes, the
 * kernel's network stack -- need.  In order:
 *
 *   1. poll for WEFT_SPIN_US (none when the ranks outnumber the CPUs): a
 *      message is noticed within ~50 ns;
 *   2. if every pending request is on a socket, sleep in poll() on those
 *      sockets: the rank wakes when data arrives or a send can go on, and
 *      costs nothing meanwhile (measured on the emulated cluster before
 *      this: a quarter of the CPU went to ranks yielding and calling
 *      recv() to find nothing, on a machine the all-reduce kept busy);
 *   3. otherwise (shared memory has nothing to poll) yield the CPU on each
 *      round for 1 ms -- 100 us when sockets are pending too: a rank of a
 *      hierarchical all-reduce has its intra-node receives posted while it
 *      waits on the network -- then sleep an eighth of the time waited so
 *      far, 50 us to 1 ms (a wait of t ends at most t/8 late), in poll() on
 *      the pending sockets, if any, so that those still wake it.
 * The caller checks its deadline and the abort flag after each wait, so
 * no sleep is longer than 10 ms.
 */
#define _GNU_SOURCE /* ppoll */
#include "core/comm.h"
#include "util/compiler.h"

#include <poll.h>
#include <sched.h>
#include <time.h>

enum { WAIT_MAX_FDS = 256 };

#define WAIT_POLL_MAX_NS 10000000ull /* sockets only: the longest sleep */
#define WAIT_YIELD_NS 1000000ull     /* shared memory: how long to yield */
#define WAIT_YIELD_MIXED_NS 100000ull /* ... when sockets are pending too */
#define WAIT_NAP_MIN_NS 50000ull
#define WAIT_NAP_MAX_NS 1000000ull

/* The descriptors of every unfinished communicator's transports; *unpollable_p
 * is set when some pending request needs looking at. */
static int gather_fds(struct weft_comm **comms, const uint8_t *finished, int n,
                      struct pollfd *fds, int *unpollable_p)
{
    int nfds = 0;
    *unpollable_p = 0;
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < WEFT_NUM_TP && !finished[i]; t++) {
            weft_transport_t *tp = comms[i]->tp[t];
            if (tp == NULL)
                continue;
            int k = tp->ops->wait_fds(tp, fds + nfds, WAIT_MAX_FDS - nfds);
            if (k < 0)
                *unpollable_p = 1;
            else
                nfds += k;
        }
    }
    return nfds;
}

int weft__wait_idle(struct weft_comm **comms, const uint8_t *finished, int n, uint64_t idle_ns,
                    uint64_t spin_ns)
{
    if (idle_ns < spin_ns) {
        weft__cpu_relax();
        return 1;
    }
    struct pollfd fds[WAIT_MAX_FDS];
    int unpollable;
    int nfds = gather_fds(comms, finished, n, fds, &unpollable);
    uint64_t nap_ns = WEFT_MIN(WEFT_MAX((idle_ns - spin_ns) / 8, WAIT_NAP_MIN_NS), WAIT_NAP_MAX_NS);
    if (!unpollable && nfds > 0)
        nap_ns = WAIT_POLL_MAX_NS;
    else if (unpollable && idle_ns < spin_ns + (nfds > 0 ? WAIT_YIELD_MIXED_NS : WAIT_YIELD_NS)) {
        sched_yield();
        return 0;
    }
    struct timespec ts = {(time_t)(nap_ns / 1000000000u), (long)(nap_ns % 1000000000u)};
    if (nfds > 0)
        (void)ppoll(fds, (nfds_t)nfds, &ts, NULL);
    else
        nanosleep(&ts, NULL);
    return 0;
}
