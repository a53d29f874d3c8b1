/*
 * wire.c - the header that starts every weft message, and the two helpers
 * that secrets need: constant-time comparison and random bytes.
 *
 * The header is checked before a single body byte is read: a stranger (a
 * port scanner, another program, a weft of another version) is refused on
 * its first 16 bytes, and a length field can never make us allocate or read
 * more than the caller's bound.
 */
#include "bootstrap/net.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void weft__wire_hdr_pack(const weft__wire_hdr_t *hdr, uint8_t raw[WEFT_WIRE_HDR_BYTES])
{
    weft__put_le32(raw, hdr->magic);
    weft__put_le16(raw + 4, hdr->version);
    weft__put_le16(raw + 6, hdr->type);
    weft__put_le32(raw + 8, hdr->length);
    weft__put_le32(raw + 12, hdr->reserved);
}

void weft__wire_hdr_unpack(const uint8_t raw[WEFT_WIRE_HDR_BYTES], weft__wire_hdr_t *hdr_p)
{
    hdr_p->magic = weft__get_le32(raw);
    hdr_p->version = weft__get_le16(raw + 4);
    hdr_p->type = weft__get_le16(raw + 6);
    hdr_p->length = weft__get_le32(raw + 8);
    hdr_p->reserved = weft__get_le32(raw + 12);
}

weft_status_t weft__wire_prefix_check(const uint8_t raw[8], uint16_t expect_type, char *why,
                                      size_t why_len)
{
    uint32_t magic = weft__get_le32(raw);
    uint16_t version = weft__get_le16(raw + 4), type = weft__get_le16(raw + 6);
    if (magic != WEFT_WIRE_MAGIC) {
        snprintf(why, why_len, "bad magic 0x%08x (not a weft peer)", magic);
        return WEFT_ERR_REMOTE;
    }
    /* Checked before the type: every later field may mean something else
     * in another version, and the user needs to hear about the versions. */
    if (version != WEFT_WIRE_VERSION) {
        snprintf(why, why_len,
                 "the peer runs weft wire protocol version %u, this process runs version %u: "
                 "every rank must use the same weft release",
                 version, WEFT_WIRE_VERSION);
        return WEFT_ERR_INVALID_USAGE;
    }
    int known = type >= 1 && type <= WEFT_MSG_TYPE_MAX;
    if (expect_type != 0 ? type != expect_type : !known) {
        snprintf(why, why_len, "unexpected message type %u (expected %u)", type, expect_type);
        return WEFT_ERR_REMOTE;
    }
    return WEFT_OK;
}

weft_status_t weft__wire_hdr_check(const weft__wire_hdr_t *hdr, uint16_t expect_type,
                                   uint32_t max_len, char *why, size_t why_len)
{
    uint8_t raw[WEFT_WIRE_HDR_BYTES];
    weft__wire_hdr_pack(hdr, raw);
    weft_status_t st = weft__wire_prefix_check(raw, expect_type, why, why_len);
    if (st != WEFT_OK)
        return st;
    if (hdr->length > max_len) {
        snprintf(why, why_len, "message of type %u announces %u bytes, more than the %u allowed",
                 hdr->type, hdr->length, max_len);
        return WEFT_ERR_REMOTE;
    }
    if (hdr->reserved != 0) {
        snprintf(why, why_len, "nonzero reserved header field 0x%08x", hdr->reserved);
        return WEFT_ERR_REMOTE;
    }
    return WEFT_OK;
}

weft_status_t weft__net_send_msg(int fd, uint16_t type, const void *body, uint32_t len,
                                 uint64_t deadline_ns)
{
    weft__wire_hdr_t hdr = {
        .magic = WEFT_WIRE_MAGIC, .version = WEFT_WIRE_VERSION, .type = type, .length = len};
    /* Small messages leave in one send(): one syscall, one segment. */
    uint8_t small[WEFT_WIRE_HDR_BYTES + 1024];
    weft__wire_hdr_pack(&hdr, small);
    if (len <= sizeof(small) - WEFT_WIRE_HDR_BYTES) {
        if (len > 0)
            memcpy(small + WEFT_WIRE_HDR_BYTES, body, len);
        return weft__net_send_all(fd, small, WEFT_WIRE_HDR_BYTES + len, deadline_ns);
    }
    weft_status_t st = weft__net_send_all(fd, small, WEFT_WIRE_HDR_BYTES, deadline_ns);
    if (st != WEFT_OK)
        return st;
    return weft__net_send_all(fd, body, len, deadline_ns);
}

weft_status_t weft__net_recv_hdr(int fd, uint16_t expect_type, uint32_t max_len,
                                 weft__wire_hdr_t *hdr_p, uint64_t deadline_ns)
{
    uint8_t raw[WEFT_WIRE_HDR_BYTES];
    weft_status_t st = weft__net_recv_all(fd, raw, sizeof(raw), deadline_ns);
    if (st != WEFT_OK)
        return st;
    weft__wire_hdr_t hdr;
    weft__wire_hdr_unpack(raw, &hdr);
    char why[160];
    st = weft__wire_hdr_check(&hdr, expect_type, max_len, why, sizeof(why));
    if (st != WEFT_OK) {
        char peer[80];
        return weft__error(st, "message from %s refused: %s",
                           weft__net_peer_str(fd, peer, sizeof(peer)), why);
    }
    *hdr_p = hdr;
    return WEFT_OK;
}

int weft__secret_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    /* Every byte is compared whatever the earlier ones were, so the time
     * taken says nothing about how much of a guess was right. */
    volatile uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

weft_status_t weft__random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return weft__error(WEFT_ERR_SYSTEM, "getrandom(%zu bytes): %s", len,
                           n < 0 ? strerror(errno) : "no bytes");
    }
    return WEFT_OK;
}
