/*
 * fuzz_uid.c - decoding a weft_unique_id_t (uid.c) from any 128 bytes.
 *
 * Invariant: an id that decodes is exactly the id that encoding its
 * contents writes -- one byte string per id, so a flipped bit, stray
 * padding or a truncated copy can never pass for a valid id.
 */
#include "bootstrap/bootstrap.h"
#include "fuzz_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    weft_unique_id_t id;
    memset(&id, 0, sizeof(id));
    memcpy(&id, data, size < sizeof(id) ? size : sizeof(id));
    weft__uid_t uid;
    if (weft__uid_decode(&id, &uid) != WEFT_OK)
        return 0;
    FUZZ_CHECK(uid.root_addr.ss_family == AF_INET || uid.root_addr.ss_family == AF_INET6);
    weft_unique_id_t back;
    FUZZ_CHECK(weft__uid_encode(&uid, &back) == WEFT_OK);
    FUZZ_CHECK(memcmp(&back, &id, sizeof(id)) == 0);
    return 0;
}
