/*
 * notice.c - failure notices (transport.h): what a failing rank tells its
 * peers about why, and what a peer makes of it.
 *
 * The notice is built once, by the rank that detected the failure (the
 * origin), from its own error message.  Every other rank only copies it:
 * a rank that fails because a peer told it so passes the same notice on,
 * so the origin's rank and words survive any number of hops.  A notice
 * read from a peer (its shm segment, a socket frame) is checked before
 * anything is taken from it; its text ends up in this rank's error
 * message and log, so it is terminated and kept to printable characters.
 */
#include "transport/transport.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

void weft__notice_make(weft_fail_notice_t *n, int kind, weft_status_t status, int origin,
                       const char *text)
{
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->status = status;
    n->origin = origin;
    snprintf(n->reason, sizeof(n->reason), "%s", text != NULL ? text : "");
}

int weft__notice_sanitize(weft_fail_notice_t *n, int nranks)
{
    if (n->kind < WEFT_NOTICE_MISMATCH || n->kind > WEFT_NOTICE_ABORT)
        return -1;
    /* A status is negative; the bound leaves room for codes added later. */
    if (n->origin < 0 || n->origin >= nranks || n->status >= 0 || n->status < -64)
        return -1;
    n->reason[sizeof(n->reason) - 1] = '\0';
    for (char *c = n->reason; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            *c = '?';
    }
    return 0;
}

weft_status_t weft__notice_status(const weft_fail_notice_t *n)
{
    return n->kind == WEFT_NOTICE_MISMATCH ? WEFT_ERR_INVALID_USAGE : WEFT_ERR_REMOTE;
}

weft_status_t weft__notice_error(int rank, int nranks, int via, const weft_fail_notice_t *n)
{
    char heard[64] = "";
    if (via != n->origin)
        snprintf(heard, sizeof(heard), " (this rank heard it from rank %d)", via);
    if (n->kind == WEFT_NOTICE_MISMATCH)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "rank %d/%d: rank %d found that the ranks disagree on a call%s; "
                           "its report: [%s]", rank, nranks, n->origin, heard, n->reason);
    if (n->kind == WEFT_NOTICE_ABORT)
        return weft__error(WEFT_ERR_REMOTE, "rank %d/%d: rank %d aborted its communicator%s; "
                           "its report: [%s]", rank, nranks, n->origin, heard, n->reason);
    return weft__error(WEFT_ERR_REMOTE, "rank %d/%d: rank %d failed (%s)%s; its report: [%s]",
                       rank, nranks, n->origin, weft_status_string((weft_status_t)n->status),
                       heard, n->reason);
}
