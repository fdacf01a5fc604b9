// Batch verification of Ed25519 signatures. libsodium checks one signature with one double
// scalar multiplication over 253-bit scalars; a join's answer brings thousands of events signed
// by a few keys, where one random linear combination of all equations costs far less: each
// signature adds a 128-bit multiple of its R, while B and each distinct key A appear once.
//
// Field elements are five 51-bit limbs (radix 2^51), points are in extended twisted Edwards
// coordinates; everything here handles public data, so nothing needs to be constant time.

#include "ed25519_batch.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef uint64_t fe[5];

#define MASK51 ((UINT64_C(1) << 51) - 1)

// MARK: field arithmetic mod p = 2^255 - 19

static void fe_copy(fe h, const fe f) { memcpy(h, f, sizeof(fe)); }

static void fe_set(fe h, uint64_t v) {
    h[0] = v;
    h[1] = h[2] = h[3] = h[4] = 0;
}

static void fe_add(fe h, const fe f, const fe g) {
    for (int i = 0; i < 5; i++) h[i] = f[i] + g[i];
}

// f - g, with 8p added so no limb goes negative, then carried (limbs below 2^52 again).
static void fe_sub(fe h, const fe f, const fe g) {
    uint64_t t[5];
    t[0] = f[0] + UINT64_C(0x3FFFFFFFFFFF68) - g[0];
    for (int i = 1; i < 5; i++) t[i] = f[i] + UINT64_C(0x3FFFFFFFFFFFF8) - g[i];
    t[1] += t[0] >> 51; t[0] &= MASK51;
    t[2] += t[1] >> 51; t[1] &= MASK51;
    t[3] += t[2] >> 51; t[2] &= MASK51;
    t[4] += t[3] >> 51; t[3] &= MASK51;
    t[0] += 19 * (t[4] >> 51); t[4] &= MASK51;
    memcpy(h, t, sizeof(fe));
}

static void fe_neg(fe h, const fe f) {
    fe zero;
    fe_set(zero, 0);
    fe_sub(h, zero, f);
}

// Carries five 128-bit column sums into limbs below 2^51 + 2^19.
static void fe_carry_wide(fe h, u128 t0, u128 t1, u128 t2, u128 t3, u128 t4) {
    uint64_t r0, r1, r2, r3, r4;
    t1 += t0 >> 51; r0 = (uint64_t)t0 & MASK51;
    t2 += t1 >> 51; r1 = (uint64_t)t1 & MASK51;
    t3 += t2 >> 51; r2 = (uint64_t)t2 & MASK51;
    t4 += t3 >> 51; r3 = (uint64_t)t3 & MASK51;
    u128 c = t4 >> 51; r4 = (uint64_t)t4 & MASK51;
    u128 x = (u128)r0 + c * 19;
    r0 = (uint64_t)x & MASK51;
    r1 += (uint64_t)(x >> 51);
    h[0] = r0; h[1] = r1; h[2] = r2; h[3] = r3; h[4] = r4;
}

// Inputs may have limbs up to 2^55; every column sum stays below 2^128.
static void fe_mul(fe h, const fe f, const fe g) {
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 t0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    u128 t1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    u128 t2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    u128 t3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    u128 t4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    fe_carry_wide(h, t0, t1, t2, t3, t4);
}

static void fe_sq(fe h, const fe f) {
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 t0 = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)(2 * f2) * f3_19;
    u128 t1 = (u128)f0_2 * f1 + (u128)(2 * f2) * f4_19 + (u128)f3 * f3_19;
    u128 t2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)(2 * f3) * f4_19;
    u128 t3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
    u128 t4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
    fe_carry_wide(h, t0, t1, t2, t3, t4);
}

static void fe_sq_times(fe h, const fe f, int n) {
    fe_sq(h, f);
    for (int i = 1; i < n; i++) fe_sq(h, h);
}

// Ignores bit 255, as point encodings keep the sign of x there.
static void fe_frombytes(fe h, const uint8_t s[32]) {
    uint64_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = 0;
        for (int j = 7; j >= 0; j--) w[i] = (w[i] << 8) | s[8 * i + j];
    }
    w[3] &= UINT64_C(0x7FFFFFFFFFFFFFFF);
    h[0] = w[0] & MASK51;
    h[1] = ((w[0] >> 51) | (w[1] << 13)) & MASK51;
    h[2] = ((w[1] >> 38) | (w[2] << 26)) & MASK51;
    h[3] = ((w[2] >> 25) | (w[3] << 39)) & MASK51;
    h[4] = (w[3] >> 12) & MASK51;
}

// The unique representative in [0, p), little-endian.
static void fe_tobytes(uint8_t s[32], const fe f) {
    uint64_t t[5];
    memcpy(t, f, sizeof(t));
    for (int pass = 0; pass < 2; pass++) {
        t[1] += t[0] >> 51; t[0] &= MASK51;
        t[2] += t[1] >> 51; t[1] &= MASK51;
        t[3] += t[2] >> 51; t[2] &= MASK51;
        t[4] += t[3] >> 51; t[3] &= MASK51;
        t[0] += 19 * (t[4] >> 51); t[4] &= MASK51;
    }
    // Now 0 <= t < 2^255. Adding 19 wraps (and so subtracts p) exactly when t >= p; the
    // offset is then removed by adding 2^255 - 19 and dropping bit 255.
    t[0] += 19;
    t[1] += t[0] >> 51; t[0] &= MASK51;
    t[2] += t[1] >> 51; t[1] &= MASK51;
    t[3] += t[2] >> 51; t[2] &= MASK51;
    t[4] += t[3] >> 51; t[3] &= MASK51;
    t[0] += 19 * (t[4] >> 51); t[4] &= MASK51;
    t[0] += (UINT64_C(1) << 51) - 19;
    for (int i = 1; i < 5; i++) t[i] += (UINT64_C(1) << 51) - 1;
    t[1] += t[0] >> 51; t[0] &= MASK51;
    t[2] += t[1] >> 51; t[1] &= MASK51;
    t[3] += t[2] >> 51; t[2] &= MASK51;
    t[4] += t[3] >> 51; t[3] &= MASK51;
    t[4] &= MASK51;
    uint64_t w[4] = {
        t[0] | (t[1] << 51),
        (t[1] >> 13) | (t[2] << 38),
        (t[2] >> 26) | (t[3] << 25),
        (t[3] >> 39) | (t[4] << 12),
    };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static int fe_iszero(const fe f) {
    uint8_t s[32];
    fe_tobytes(s, f);
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++) acc |= s[i];
    return acc == 0;
}

static int fe_isnegative(const fe f) {
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

static int fe_equal(const fe f, const fe g) {
    fe d;
    fe_sub(d, f, g);
    return fe_iszero(d);
}

// z^(2^252 - 3), the exponent of the square root in decompression.
static void fe_pow22523(fe out, const fe z) {
    fe t0, t1, t2;
    fe_sq(t0, z);
    fe_sq_times(t1, t0, 2);
    fe_mul(t1, z, t1);       // z^9
    fe_mul(t0, t0, t1);      // z^11
    fe_sq(t0, t0);           // z^22
    fe_mul(t0, t1, t0);      // z^(2^5 - 1)
    fe_sq_times(t1, t0, 5);
    fe_mul(t0, t1, t0);      // 2^10 - 1
    fe_sq_times(t1, t0, 10);
    fe_mul(t1, t1, t0);      // 2^20 - 1
    fe_sq_times(t2, t1, 20);
    fe_mul(t1, t2, t1);      // 2^40 - 1
    fe_sq_times(t1, t1, 10);
    fe_mul(t0, t1, t0);      // 2^50 - 1
    fe_sq_times(t1, t0, 50);
    fe_mul(t1, t1, t0);      // 2^100 - 1
    fe_sq_times(t2, t1, 100);
    fe_mul(t1, t2, t1);      // 2^200 - 1
    fe_sq_times(t1, t1, 50);
    fe_mul(t0, t1, t0);      // 2^250 - 1
    fe_sq_times(t0, t0, 2);  // 2^252 - 4
    fe_mul(out, t0, z);
}

// z^(p - 2) = z^(2^255 - 21).
static void fe_invert(fe out, const fe z) {
    fe t0, t1, t2, t3;
    fe_sq(t0, z);
    fe_sq_times(t1, t0, 2);
    fe_mul(t1, z, t1);       // z^9
    fe_mul(t0, t0, t1);      // z^11
    fe_sq(t2, t0);           // z^22
    fe_mul(t1, t1, t2);      // 2^5 - 1
    fe_sq_times(t2, t1, 5);
    fe_mul(t1, t2, t1);      // 2^10 - 1
    fe_sq_times(t2, t1, 10);
    fe_mul(t2, t2, t1);      // 2^20 - 1
    fe_sq_times(t3, t2, 20);
    fe_mul(t2, t3, t2);      // 2^40 - 1
    fe_sq_times(t2, t2, 10);
    fe_mul(t1, t2, t1);      // 2^50 - 1
    fe_sq_times(t2, t1, 50);
    fe_mul(t2, t2, t1);      // 2^100 - 1
    fe_sq_times(t3, t2, 100);
    fe_mul(t2, t3, t2);      // 2^200 - 1
    fe_sq_times(t2, t2, 50);
    fe_mul(t1, t2, t1);      // 2^250 - 1
    fe_sq_times(t1, t1, 5);  // 2^255 - 32
    fe_mul(out, t1, t0);     // 2^255 - 21
}

// MARK: curve constants, derived once rather than transcribed

static fe curve_d, curve_2d, sqrt_m1;
static pthread_once_t constants_once = PTHREAD_ONCE_INIT;

static void derive_constants(void) {
    fe num, den;
    fe_set(num, 121665);
    fe_neg(num, num);
    fe_set(den, 121666);
    fe_invert(den, den);
    fe_mul(curve_d, num, den);  // d = -121665/121666
    fe_add(curve_2d, curve_d, curve_d);
    // sqrt(-1) = 2^((p-1)/4), and (p-1)/4 = 2(2^252 - 3) + 1.
    fe two;
    fe_set(two, 2);
    fe_pow22523(sqrt_m1, two);
    fe_sq(sqrt_m1, sqrt_m1);
    fe_mul(sqrt_m1, sqrt_m1, two);
}

// MARK: points

typedef struct { fe X, Y, Z, T; } ge_p3;          // x = X/Z, y = Y/Z, xy = T/Z
typedef struct { fe X, Y, Z; } ge_p2;
typedef struct { fe X, Y, Z, T; } ge_p1p1;        // x = X/Z, y = Y/T
typedef struct { fe YplusX, YminusX, Z, T2d; } ge_cached;

static void ge_identity(ge_p3 *h) {
    fe_set(h->X, 0);
    fe_set(h->Y, 1);
    fe_set(h->Z, 1);
    fe_set(h->T, 0);
}

static int is_canonical_y(const uint8_t s[32]) {
    if ((s[31] & 0x7F) != 0x7F) return 1;
    for (int i = 30; i > 0; i--)
        if (s[i] != 0xFF) return 1;
    return s[0] < 0xED;
}

// Decodes a point, refusing encodings libsodium would not produce (y >= p, x = 0 with the sign
// bit set) and points off the curve.
static int ge_frombytes(ge_p3 *h, const uint8_t s[32]) {
    if (!is_canonical_y(s)) return -1;
    fe u, v, v3, vxx, check, one;
    fe_set(one, 1);
    fe_frombytes(h->Y, s);
    fe_set(h->Z, 1);
    fe_sq(u, h->Y);
    fe_mul(v, u, curve_d);
    fe_sub(u, u, one);       // y^2 - 1
    fe_add(v, v, one);       // d y^2 + 1
    fe_sq(v3, v);
    fe_mul(v3, v3, v);       // v^3
    fe_sq(h->X, v3);
    fe_mul(h->X, h->X, v);
    fe_mul(h->X, h->X, u);   // u v^7
    fe_pow22523(h->X, h->X);
    fe_mul(h->X, h->X, v3);
    fe_mul(h->X, h->X, u);   // u v^3 (u v^7)^((p-5)/8)
    fe_sq(vxx, h->X);
    fe_mul(vxx, vxx, v);
    fe_sub(check, vxx, u);
    if (!fe_iszero(check)) {
        fe_add(check, vxx, u);
        if (!fe_iszero(check)) return -1;
        fe_mul(h->X, h->X, sqrt_m1);
    }
    int sign = s[31] >> 7;
    if (fe_iszero(h->X) && sign) return -1;
    if (fe_isnegative(h->X) != sign) fe_neg(h->X, h->X);
    fe_mul(h->T, h->X, h->Y);
    return 0;
}

static void ge_to_cached(ge_cached *r, const ge_p3 *p) {
    fe_add(r->YplusX, p->Y, p->X);
    fe_sub(r->YminusX, p->Y, p->X);
    fe_copy(r->Z, p->Z);
    fe_mul(r->T2d, p->T, curve_2d);
}

static void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p) {
    fe_mul(r->X, p->X, p->T);
    fe_mul(r->Y, p->Y, p->Z);
    fe_mul(r->Z, p->Z, p->T);
}

static void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p) {
    fe_mul(r->X, p->X, p->T);
    fe_mul(r->Y, p->Y, p->Z);
    fe_mul(r->Z, p->Z, p->T);
    fe_mul(r->T, p->X, p->Y);
}

static void ge_dbl(ge_p1p1 *r, const ge_p2 *p) {
    fe t0;
    fe_sq(r->X, p->X);
    fe_sq(r->Z, p->Y);
    fe_sq(r->T, p->Z);
    fe_add(r->T, r->T, r->T);
    fe_add(r->Y, p->X, p->Y);
    fe_sq(t0, r->Y);
    fe_add(r->Y, r->Z, r->X);
    fe_sub(r->Z, r->Z, r->X);
    fe_sub(r->X, t0, r->Y);
    fe_sub(r->T, r->T, r->Z);
}

static void ge_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q) {
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->YplusX);
    fe_mul(r->Y, r->Y, q->YminusX);
    fe_mul(r->T, q->T2d, p->T);
    fe_mul(r->X, p->Z, q->Z);
    fe_add(t0, r->X, r->X);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_add(r->Z, t0, r->T);
    fe_sub(r->T, t0, r->T);
}

static void ge_sub(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q) {
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->YminusX);
    fe_mul(r->Y, r->Y, q->YplusX);
    fe_mul(r->T, q->T2d, p->T);
    fe_mul(r->X, p->Z, q->Z);
    fe_add(t0, r->X, r->X);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_sub(r->Z, t0, r->T);
    fe_add(r->T, t0, r->T);
}

static void ge_p3_dbl(ge_p3 *r, const ge_p3 *p) {
    ge_p2 q = { {0}, {0}, {0} };
    ge_p1p1 t;
    fe_copy(q.X, p->X);
    fe_copy(q.Y, p->Y);
    fe_copy(q.Z, p->Z);
    ge_dbl(&t, &q);
    ge_p1p1_to_p3(r, &t);
}

static int ge_is_identity(const ge_p3 *p) {
    return fe_iszero(p->X) && fe_equal(p->Y, p->Z);
}

// True when 8P is the identity: P lies in the torsion subgroup.
static int ge_has_small_order(const ge_p3 *p) {
    ge_p3 q;
    ge_p3_dbl(&q, p);
    ge_p3_dbl(&q, &q);
    ge_p3_dbl(&q, &q);
    return ge_is_identity(&q);
}

// MARK: scalars

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
static const uint8_t group_order[32] = {
    0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

static int scalar_is_canonical(const uint8_t s[32]) {
    for (int i = 31; i >= 0; i--) {
        if (s[i] < group_order[i]) return 1;
        if (s[i] > group_order[i]) return 0;
    }
    return 0;
}

// Signed radix-16 digits in [-8, 8): s = sum digits[i] 16^i, for s < 2^255.
static void scalar_digits(int8_t digits[64], const uint8_t s[32]) {
    for (int i = 0; i < 32; i++) {
        digits[2 * i] = s[i] & 15;
        digits[2 * i + 1] = (s[i] >> 4) & 15;
    }
    int8_t carry = 0;
    for (int i = 0; i < 63; i++) {
        digits[i] += carry;
        carry = (int8_t)((digits[i] + 8) >> 4);
        digits[i] -= (int8_t)(carry << 4);
    }
    digits[63] += carry;
}

// MARK: multi-scalar multiplication (Straus, shared doublings, a 1P..8P table per point)

typedef struct {
    ge_cached table[8];
    int8_t digits[64];
    int top;  // highest non-zero digit, -1 for a zero scalar
} msm_term;

static void msm_prepare(msm_term *term, const ge_p3 *p, const uint8_t scalar[32]) {
    scalar_digits(term->digits, scalar);
    term->top = -1;
    for (int i = 63; i >= 0; i--)
        if (term->digits[i] != 0) {
            term->top = i;
            break;
        }
    ge_p3 multiple = *p, doubled;
    ge_p1p1 t;
    ge_to_cached(&term->table[0], p);
    ge_p3_dbl(&doubled, p);
    ge_to_cached(&term->table[1], &doubled);
    multiple = doubled;
    for (int i = 2; i < 8; i++) {
        ge_add(&t, &multiple, &term->table[0]);
        ge_p1p1_to_p3(&multiple, &t);
        ge_to_cached(&term->table[i], &multiple);
    }
}

static void msm(ge_p3 *result, const msm_term *terms, size_t count) {
    int top = -1;
    for (size_t j = 0; j < count; j++)
        if (terms[j].top > top) top = terms[j].top;
    ge_identity(result);
    ge_p1p1 t;
    ge_p2 q;
    for (int i = top; i >= 0; i--) {
        if (i != top) {
            fe_copy(q.X, result->X);
            fe_copy(q.Y, result->Y);
            fe_copy(q.Z, result->Z);
            for (int k = 0; k < 3; k++) {
                ge_dbl(&t, &q);
                ge_p1p1_to_p2(&q, &t);
            }
            ge_dbl(&t, &q);
            ge_p1p1_to_p3(result, &t);
        }
        for (size_t j = 0; j < count; j++) {
            int8_t d = terms[j].digits[i];
            if (d > 0) {
                ge_add(&t, result, &terms[j].table[d - 1]);
                ge_p1p1_to_p3(result, &t);
            } else if (d < 0) {
                ge_sub(&t, result, &terms[j].table[-d - 1]);
                ge_p1p1_to_p3(result, &t);
            }
        }
    }
}

// MARK: many points with 128-bit scalars (Pippenger's buckets)

// From this many signatures on, their R terms share buckets instead of each keeping a table.
#define PIPPENGER_MIN 128

// Signed digits of `bits` bits, in [-2^(bits-1), 2^(bits-1)), of a 128-bit scalar.
static void short_scalar_digits(int16_t *digits, int windows, const uint8_t z[16], int bits) {
    int carry = 0;
    for (int i = 0; i < windows; i++) {
        uint32_t window = 0;
        for (int b = 0; b < bits; b++) {
            int bit = i * bits + b;
            if (bit < 128) window |= (uint32_t)((z[bit >> 3] >> (bit & 7)) & 1) << b;
        }
        int d = (int)window + carry;
        carry = (d + (1 << (bits - 1))) >> bits;
        digits[i] = (int16_t)(d - (carry << bits));
    }
}

// The window width that costs fewest additions for `count` points: one per point and two per
// bucket in each window.
static int pippenger_bits(size_t count) {
    int best = 4;
    size_t best_cost = SIZE_MAX;
    for (int bits = 4; bits <= 12; bits++) {
        size_t windows = (size_t)(128 + bits - 1) / (size_t)bits + 1;
        size_t cost = windows * (count + ((size_t)1 << bits));
        if (cost < best_cost) {
            best_cost = cost;
            best = bits;
        }
    }
    return best;
}

static void ge_add_cached_to(ge_p3 *acc, const ge_p3 *p) {
    ge_cached c;
    ge_p1p1 t;
    ge_to_cached(&c, p);
    ge_add(&t, acc, &c);
    ge_p1p1_to_p3(acc, &t);
}

// sum z_j P_j for 128-bit z_j (16 bytes each). Returns -1 when out of memory.
static int pippenger(ge_p3 *result, const ge_p3 *points, const uint8_t *scalars, size_t count) {
    int bits = pippenger_bits(count);
    int windows = (128 + bits - 1) / bits + 1;
    size_t bucket_count = (size_t)1 << (bits - 1);
    ge_cached *cached = malloc(sizeof(ge_cached) * count);
    int16_t *digits = malloc(sizeof(int16_t) * (size_t)windows * count);
    ge_p3 *buckets = malloc(sizeof(ge_p3) * bucket_count);
    uint8_t *filled = malloc(bucket_count);
    if (cached == NULL || digits == NULL || buckets == NULL || filled == NULL) {
        free(cached); free(digits); free(buckets); free(filled);
        return -1;
    }
    for (size_t j = 0; j < count; j++) {
        ge_to_cached(&cached[j], &points[j]);
        short_scalar_digits(digits + j * (size_t)windows, windows, scalars + 16 * j, bits);
    }
    ge_identity(result);
    ge_p1p1 t;
    ge_p2 q;
    for (int w = windows - 1; w >= 0; w--) {
        if (w != windows - 1) {
            fe_copy(q.X, result->X);
            fe_copy(q.Y, result->Y);
            fe_copy(q.Z, result->Z);
            for (int k = 0; k < bits - 1; k++) {
                ge_dbl(&t, &q);
                ge_p1p1_to_p2(&q, &t);
            }
            ge_dbl(&t, &q);
            ge_p1p1_to_p3(result, &t);
        }
        memset(filled, 0, bucket_count);
        for (size_t j = 0; j < count; j++) {
            int d = digits[j * (size_t)windows + (size_t)w];
            if (d == 0) continue;
            size_t b = (size_t)(d > 0 ? d : -d) - 1;
            if (!filled[b]) {
                buckets[b] = points[j];
                if (d < 0) {
                    fe_neg(buckets[b].X, buckets[b].X);
                    fe_neg(buckets[b].T, buckets[b].T);
                }
                filled[b] = 1;
            } else {
                if (d > 0) ge_add(&t, &buckets[b], &cached[j]);
                else ge_sub(&t, &buckets[b], &cached[j]);
                ge_p1p1_to_p3(&buckets[b], &t);
            }
        }
        // sum (b+1) bucket_b, as the running sum of the buckets from the top, summed.
        ge_p3 running, total;
        int started = 0;
        ge_identity(&total);
        for (size_t b = bucket_count; b-- > 0;) {
            if (filled[b]) {
                if (started) ge_add_cached_to(&running, &buckets[b]);
                else running = buckets[b];
                started = 1;
            }
            if (started) ge_add_cached_to(&total, &running);
        }
        ge_add_cached_to(result, &total);
    }
    free(cached);
    free(digits);
    free(buckets);
    free(filled);
    return 0;
}

// MARK: the batch

static const uint8_t base_point[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

// A public key is decoded and checked once per batch, and its scalars summed.
typedef struct {
    const uint8_t *encoding;
    ge_p3 point;
    uint8_t scalar[32];
} batch_key;

int apus_ed25519_verify_batch(const apus_ed25519_item *items, size_t count) {
    if (count == 0) return 0;
    if (sodium_init() < 0) return -1;
    pthread_once(&constants_once, derive_constants);

    // Few signatures: every term gets a table (Straus). Many: the R terms go into buckets.
    int buckets = count >= PIPPENGER_MIN;
    msm_term *terms = malloc(sizeof(msm_term) * ((buckets ? 0 : count) + count + 1));
    ge_p3 *points_r = buckets ? malloc(sizeof(ge_p3) * count) : NULL;
    batch_key *keys = malloc(sizeof(batch_key) * count);
    uint8_t *weights = malloc(16 * count);
    if (terms == NULL || keys == NULL || weights == NULL || (buckets && points_r == NULL)) {
        free(terms); free(points_r); free(keys); free(weights);
        return -1;
    }
    randombytes_buf(weights, 16 * count);

    int result = -1;
    size_t key_count = 0, term_count = 0;
    uint8_t base_scalar[32] = {0};  // sum z_i S_i
    for (size_t i = 0; i < count; i++) {
        const apus_ed25519_item *item = &items[i];
        const uint8_t *r = item->signature, *s = item->signature + 32;
        if (!scalar_is_canonical(s)) goto done;

        batch_key *key = NULL;
        for (size_t k = 0; k < key_count; k++)
            if (memcmp(keys[k].encoding, item->public_key, 32) == 0) {
                key = &keys[k];
                break;
            }
        if (key == NULL) {
            key = &keys[key_count++];
            key->encoding = item->public_key;
            memset(key->scalar, 0, 32);
            if (ge_frombytes(&key->point, item->public_key) != 0 || ge_has_small_order(&key->point)) goto done;
        }

        ge_p3 point_r;
        if (ge_frombytes(&point_r, r) != 0 || ge_has_small_order(&point_r)) goto done;

        uint8_t digest[64], h[32], z[32] = {0}, product[32];
        crypto_hash_sha512_state state;
        crypto_hash_sha512_init(&state);
        crypto_hash_sha512_update(&state, r, 32);
        crypto_hash_sha512_update(&state, item->public_key, 32);
        crypto_hash_sha512_update(&state, item->message, item->length);
        crypto_hash_sha512_final(&state, digest);
        crypto_core_ed25519_scalar_reduce(h, digest);

        memcpy(z, weights + 16 * i, 16);
        crypto_core_ed25519_scalar_mul(product, z, h);
        crypto_core_ed25519_scalar_add(key->scalar, key->scalar, product);
        crypto_core_ed25519_scalar_mul(product, z, s);
        crypto_core_ed25519_scalar_add(base_scalar, base_scalar, product);
        if (buckets) points_r[i] = point_r;
        else msm_prepare(&terms[term_count++], &point_r, z);
    }
    for (size_t k = 0; k < key_count; k++) msm_prepare(&terms[term_count++], &keys[k].point, keys[k].scalar);
    ge_p3 base;
    uint8_t negated[32];
    crypto_core_ed25519_scalar_negate(negated, base_scalar);
    if (ge_frombytes(&base, base_point) != 0) goto done;
    msm_prepare(&terms[term_count++], &base, negated);

    // sum z_i R_i + sum c_k A_k - (sum z_i S_i) B, times the cofactor, must vanish.
    ge_p3 sum;
    msm(&sum, terms, term_count);
    if (buckets) {
        ge_p3 sum_r;
        if (pippenger(&sum_r, points_r, weights, count) != 0) goto done;
        ge_add_cached_to(&sum, &sum_r);
    }
    result = ge_has_small_order(&sum) ? 0 : -1;

done:
    free(terms);
    free(points_r);
    free(keys);
    free(weights);
    return result;
}
