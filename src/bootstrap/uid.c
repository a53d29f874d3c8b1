/*
 * uid.c - the byte layout of weft_unique_id_t.
 *
 * A unique id travels between processes (MPI_Bcast, a file, a command
 * line), so its layout is written byte by byte, little-endian, never a
 * memcpy of a C struct with its padding and host byte order:
 *
 *   offset  bytes  field
 *        0      4  magic "wuid" (WEFT_UID_MAGIC)
 *        4      2  version (WEFT_UID_VERSION)
 *        6      2  zero
 *        8     24  the root's address, packed (net.h: family 4/6, port,
 *                  IPv6 scope, address)
 *       32     32  secret
 *       64      4  FNV-1a checksum of bytes 0..63
 *       68     60  zero
 *
 * decode refuses anything else (random bytes, zeros, a truncated copy, a
 * flipped bit) with WEFT_ERR_INVALID_ARGUMENT and a message naming "id", so
 * that a garbled id fails at once instead of connecting somewhere odd.
 */
#include "bootstrap/bootstrap.h"
#include "bootstrap/net.h"
#include "util/log.h"

#include <string.h>

enum {
    UID_OFF_MAGIC = 0,
    UID_OFF_VERSION = 4,
    UID_OFF_ADDR = 8,
    UID_OFF_SECRET = 32,
    UID_OFF_CHECKSUM = 64,
    UID_USED_BYTES = 68
};

static uint32_t fnv1a32(const uint8_t *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

weft_status_t weft__uid_encode(const weft__uid_t *uid, weft_unique_id_t *id_p)
{
    sa_family_t family = uid->root_addr.ss_family;
    if (family != AF_INET && family != AF_INET6)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "id: the root address has family %d, not IPv4 or IPv6", family);
    uint8_t raw[WEFT_UNIQUE_ID_BYTES] = {0};
    weft__put_le32(raw + UID_OFF_MAGIC, WEFT_UID_MAGIC);
    weft__put_le16(raw + UID_OFF_VERSION, WEFT_UID_VERSION);
    weft__net_addr_pack(&uid->root_addr, raw + UID_OFF_ADDR);
    if (weft__get_le16(raw + UID_OFF_ADDR + 2) == 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "id: the root address has port 0");
    memcpy(raw + UID_OFF_SECRET, uid->secret, WEFT_SECRET_BYTES);
    weft__put_le32(raw + UID_OFF_CHECKSUM, fnv1a32(raw, UID_OFF_CHECKSUM));
    memcpy(id_p->internal, raw, sizeof(raw));
    return WEFT_OK;
}

weft_status_t weft__uid_decode(const weft_unique_id_t *id, weft__uid_t *uid_p)
{
    if (id == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "id is NULL");
    const uint8_t *raw = (const uint8_t *)id->internal;
    uint32_t magic = weft__get_le32(raw + UID_OFF_MAGIC);
    uint16_t version = weft__get_le16(raw + UID_OFF_VERSION);
    if (magic != WEFT_UID_MAGIC)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "id is not a weft unique id (magic 0x%08x, expected 0x%08x); pass "
                           "the bytes weft_get_unique_id() wrote, unchanged",
                           magic, WEFT_UID_MAGIC);
    if (version != WEFT_UID_VERSION)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "id was made by a weft with unique-id version %u, this is %u", version,
                           WEFT_UID_VERSION);
    static const uint8_t zeros[WEFT_UNIQUE_ID_BYTES - UID_USED_BYTES];
    if (weft__get_le16(raw + 6) != 0 || memcmp(raw + UID_USED_BYTES, zeros, sizeof(zeros)) != 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "id is corrupted (bytes that must be zero are not)");
    if (weft__get_le32(raw + UID_OFF_CHECKSUM) != fnv1a32(raw, UID_OFF_CHECKSUM))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "id is corrupted (checksum mismatch)");
    weft__uid_t uid = {.magic = magic, .version = version};
    if (weft__net_addr_unpack(raw + UID_OFF_ADDR, 0, &uid.root_addr) != WEFT_OK)
        return weft__error(
            WEFT_ERR_INVALID_ARGUMENT, "id holds no valid root address (family %u, port %u)",
            weft__get_le16(raw + UID_OFF_ADDR), weft__get_le16(raw + UID_OFF_ADDR + 2));
    memcpy(uid.secret, raw + UID_OFF_SECRET, WEFT_SECRET_BYTES);
    *uid_p = uid;
    return WEFT_OK;
}
