// libcrypto (OpenSSL), reached only from here: SHA-1 and SHA-256 for the host-key store.
// The low-level SHA-1 functions are deprecated in OpenSSL 3 but are the only way to keep a prepared
// HMAC state; they are still exported.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "CNetPulseSSHCore.h"

#include <openssl/sha.h>

typedef struct {
    SHA_CTX inner;
    SHA_CTX outer;
} np_hmac_state;

_Static_assert(sizeof(np_hmac_state) <= sizeof(np_hmac_sha1_key), "np_hmac_sha1_key is too small");

void np_hmac_sha1_prepare(np_hmac_sha1_key *key, const uint8_t *secret, size_t length) {
    unsigned char block[SHA_CBLOCK];
    unsigned char pad[SHA_CBLOCK];
    memset(block, 0, sizeof block);
    if (length > SHA_CBLOCK) {
        SHA1(secret, length, block);
    } else if (length > 0) {
        memcpy(block, secret, length);
    }
    np_hmac_state *state = (np_hmac_state *)key->opaque;
    for (int i = 0; i < SHA_CBLOCK; i++) pad[i] = block[i] ^ 0x36;
    SHA1_Init(&state->inner);
    SHA1_Update(&state->inner, pad, SHA_CBLOCK);
    for (int i = 0; i < SHA_CBLOCK; i++) pad[i] = block[i] ^ 0x5c;
    SHA1_Init(&state->outer);
    SHA1_Update(&state->outer, pad, SHA_CBLOCK);
}

void np_hmac_sha1(const np_hmac_sha1_key *key, const uint8_t *message, size_t length, uint8_t *out) {
    const np_hmac_state *state = (const np_hmac_state *)key->opaque;
    SHA_CTX context = state->inner;
    unsigned char inner[SHA_DIGEST_LENGTH];
    SHA1_Update(&context, message, length);
    SHA1_Final(inner, &context);
    context = state->outer;
    SHA1_Update(&context, inner, SHA_DIGEST_LENGTH);
    SHA1_Final(out, &context);
}

void np_sha256(const uint8_t *data, size_t length, uint8_t *out) { SHA256(data, length, out); }

static _Thread_local int np_loop_thread;

void np_mark_loop_thread(void) { np_loop_thread = 1; }

int np_is_loop_thread(void) { return np_loop_thread; }
