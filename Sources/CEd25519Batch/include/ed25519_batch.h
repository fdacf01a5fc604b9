#ifndef APUS_ED25519_BATCH_H
#define APUS_ED25519_BATCH_H

#include <stddef.h>
#include <stdint.h>

/// One signature to check: 64-byte `signature` by the 32-byte `public_key` over `message`.
typedef struct {
    const uint8_t *message;
    size_t length;
    const uint8_t *signature;
    const uint8_t *public_key;
} apus_ed25519_item;

/// Checks `count` Ed25519 signatures at once. Returns 0 when every one is valid, -1 when at
/// least one is not (the caller finds which by checking them one by one).
///
/// The batch equation is RFC 8032's cofactored one, 8(ΣzᵢSᵢ)B = 8Σzᵢ(Rᵢ + hᵢAᵢ) with random
/// 128-bit zᵢ, plus libsodium's strict checks on each item (S < L, canonical A and R, neither of
/// small order), so it agrees with libsodium on every signature except ones whose R was
/// crafted with a small-order component — which only the key's holder can make.
int apus_ed25519_verify_batch(const apus_ed25519_item *items, size_t count);

#endif
