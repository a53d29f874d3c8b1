/*
 * hello.c - the client side of the gate (see proto.h): a rank connects,
 * presents its hello, and waits for the root's table or rank 0's welcome.
 * The reply is read by weft__hello_read_reply, on its own so that a fuzzer
 * can feed it any bytes: its header is checked before anything else, its
 * length bounded by what the caller expects (or a refusal's 256 bytes).
 */
#include "bootstrap/proto.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void weft__hello_pack(const weft__hello_t *h, uint8_t out[WEFT_HELLO_BYTES])
{
    memcpy(out, h->secret, WEFT_SECRET_BYTES);
    weft__put_le32(out + WEFT_SECRET_BYTES, h->rank);
    weft__put_le32(out + WEFT_SECRET_BYTES + 4, h->nranks);
    memcpy(out + WEFT_SECRET_BYTES + 8, h->addr, WEFT_ADDR_PACKED_BYTES);
}

void weft__hello_unpack(const uint8_t in[WEFT_HELLO_BYTES], weft__hello_t *h_p)
{
    memcpy(h_p->secret, in, WEFT_SECRET_BYTES);
    h_p->rank = weft__get_le32(in + WEFT_SECRET_BYTES);
    h_p->nranks = weft__get_le32(in + WEFT_SECRET_BYTES + 4);
    memcpy(h_p->addr, in + WEFT_SECRET_BYTES + 8, WEFT_ADDR_PACKED_BYTES);
}

/* The gate had a reason to refuse us: turn it into this rank's error. */
static weft_status_t read_refusal(int fd, const weft__wire_hdr_t *hdr, const char *where,
                                  uint64_t deadline_ns)
{
    char why[WEFT_REFUSED_MAX_BYTES + 1] = "";
    uint32_t len = hdr->length;
    if (len > WEFT_REFUSED_MAX_BYTES)
        len = WEFT_REFUSED_MAX_BYTES;
    if (weft__net_recv_all(fd, why, len, deadline_ns) != WEFT_OK)
        snprintf(why, sizeof(why), "(the reason was lost)");
    why[len] = '\0';
    for (uint32_t i = 0; i < len; i++) /* text from the wire: printable only */
        if (why[i] < 0x20 || why[i] > 0x7e)
            why[i] = '?';
    return weft__error(WEFT_ERR_INVALID_USAGE, "%s refused this rank: %s", where, why);
}

weft_status_t weft__hello_read_reply(int fd, const char *where, uint16_t reply_type,
                                     uint32_t max_len, uint32_t nranks, uint64_t deadline_ns,
                                     void **body_p, uint32_t *len_p)
{
    weft__wire_hdr_t hdr;
    uint32_t bound = max_len > WEFT_REFUSED_MAX_BYTES ? max_len : WEFT_REFUSED_MAX_BYTES;
    weft_status_t st = weft__net_recv_hdr(fd, 0, bound, &hdr, deadline_ns);
    if (st == WEFT_ERR_TIMEOUT)
        return weft__error(WEFT_ERR_TIMEOUT,
                           "%s did not answer before the deadline: not every rank has joined "
                           "(it waits for all %u)",
                           where, nranks);
    if (st != WEFT_OK) {
        char lower[400];
        snprintf(lower, sizeof(lower), "%s", weft_last_error());
        return weft__error(st, "%s: %s", where, lower);
    }
    if (hdr.type == WEFT_MSG_REFUSED)
        return read_refusal(fd, &hdr, where, deadline_ns);
    if (hdr.type != reply_type || hdr.length > max_len)
        return weft__error(WEFT_ERR_REMOTE,
                           "%s answered with message type %u of %u bytes, expected type %u of at "
                           "most %u",
                           where, hdr.type, hdr.length, reply_type, max_len);
    void *reply = malloc(hdr.length > 0 ? hdr.length : 1);
    if (reply == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "reply of %u bytes from %s", hdr.length, where);
    st = weft__net_recv_all(fd, reply, hdr.length, deadline_ns);
    if (st != WEFT_OK) {
        free(reply);
        return st;
    }
    *body_p = reply;
    *len_p = hdr.length;
    return WEFT_OK;
}

weft_status_t weft__hello_exchange(const struct sockaddr_storage *addr, uint16_t hello_type,
                                   const weft__hello_t *hello, uint16_t reply_type,
                                   uint32_t max_len, uint64_t deadline_ns, int *fd_p, void **body_p,
                                   uint32_t *len_p)
{
    char where[96], astr[80];
    snprintf(where, sizeof(where), "%s %s",
             hello_type == WEFT_MSG_ROOT_HELLO ? "the root at" : "rank 0 at",
             weft__net_addr_str(addr, astr, sizeof(astr)));
    int fd;
    weft_status_t st = weft__net_connect(addr, deadline_ns, &fd);
    if (st != WEFT_OK)
        return st;
    uint8_t body[WEFT_HELLO_BYTES];
    weft__hello_pack(hello, body);
    WEFT_CHECK_GOTO(weft__net_send_msg(fd, hello_type, body, sizeof(body), deadline_ns), st,
                    err_close);
    WEFT_CHECK_GOTO(weft__hello_read_reply(fd, where, reply_type, max_len, hello->nranks,
                                           deadline_ns, body_p, len_p),
                    st, err_close);
    *fd_p = fd;
    return WEFT_OK;
err_close:
    close(fd);
    return st;
}
