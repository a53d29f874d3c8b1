/*
 * gate_check.c - the gate's judgement of a would-be hello (proto.h), apart
 * from its sockets, so that a fuzzer can call it on any bytes.
 *
 * Three verdicts.  A stranger (bad magic, wrong type or length, wrong
 * secret) is closed without a word: it learns nothing, not even which check
 * failed.  A connection that proved it is a weft peer of this communicator
 * -- the secret is right, or it is a weft of another wire version, whose
 * secret cannot be read -- is refused with a reason, so that its rank fails
 * at once with a message (naming both versions) instead of at its deadline.
 * Everything else is admitted, rank and size in range; whether the rank is
 * here already is the gate's own business.
 */
#include "bootstrap/proto.h"

#include <stdio.h>

weft__gate_verdict_t weft__gate_check_hdr(uint16_t hello_type,
                                          const uint8_t raw[WEFT_WIRE_HDR_BYTES], char *why,
                                          size_t why_len)
{
    weft__wire_hdr_t hdr;
    weft__wire_hdr_unpack(raw, &hdr);
    char hwhy[200];
    weft_status_t st = weft__wire_hdr_check(&hdr, hello_type, WEFT_HELLO_BYTES, hwhy, sizeof(hwhy));
    if (st == WEFT_ERR_INVALID_USAGE) { /* another wire version */
        snprintf(why, why_len, "%s", hwhy);
        return WEFT_GATE_REFUSE;
    }
    if (st != WEFT_OK) {
        snprintf(why, why_len, "not a hello: %s", hwhy);
        return WEFT_GATE_STRANGER;
    }
    if (hdr.length != WEFT_HELLO_BYTES) {
        snprintf(why, why_len, "not a hello: a body of %u bytes, a hello has %d", hdr.length,
                 WEFT_HELLO_BYTES);
        return WEFT_GATE_STRANGER;
    }
    return WEFT_GATE_ADMIT;
}

weft__gate_verdict_t weft__gate_check_hello(const weft__gate_cfg_t *cfg, int nranks_known,
                                            const uint8_t body[WEFT_HELLO_BYTES],
                                            weft__hello_t *h_p, char *why, size_t why_len)
{
    weft__hello_t h;
    weft__hello_unpack(body, &h);
    if (!weft__secret_equal(h.secret, cfg->secret, WEFT_SECRET_BYTES)) {
        snprintf(why, why_len, "wrong secret (another job, or a stale unique id?)");
        return WEFT_GATE_STRANGER;
    }
    /* Only a hello that is right in every respect may fix nranks. */
    struct sockaddr_storage addr;
    uint32_t n = (uint32_t)nranks_known;
    if (h.nranks < 1 || h.nranks > WEFT_BOOTSTRAP_MAX_RANKS)
        snprintf(why, why_len, "nranks %u is out of range 1..%d", h.nranks,
                 WEFT_BOOTSTRAP_MAX_RANKS);
    else if (n != 0 && h.nranks != n)
        snprintf(why, why_len, "it says nranks=%u, the communicator has %u", h.nranks, n);
    else if (h.rank >= h.nranks)
        snprintf(why, why_len, "rank %u is out of range 0..%u", h.rank, h.nranks - 1);
    else if ((int)h.rank == cfg->self_rank)
        snprintf(why, why_len, "rank %u is this gate's own rank", h.rank);
    else if (cfg->hello_type == WEFT_MSG_ROOT_HELLO &&
             weft__net_addr_unpack(h.addr, h.nranks == 1, &addr) != WEFT_OK)
        snprintf(why, why_len, "rank %u sent no valid listen address", h.rank);
    else
        why[0] = '\0';
    if (why[0] != '\0')
        return WEFT_GATE_REFUSE;
    *h_p = h;
    return WEFT_GATE_ADMIT;
}
