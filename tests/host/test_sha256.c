/* Host tests for src/core/sha256.c: NIST's FIPS 180-4 SHA-256 examples, and
 * messages around the 55/56/64-byte padding boundaries and in odd-sized
 * pieces (expected digests from Python's hashlib). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/sha256.h"

static void hex(const uint8_t digest[SHA256_DIGEST_SIZE], char out[2 * SHA256_DIGEST_SIZE + 1])
{
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        sprintf(out + 2 * i, "%02x", digest[i]);
}

static void assert_digest(const uint8_t digest[SHA256_DIGEST_SIZE], const char *expected)
{
    char got[2 * SHA256_DIGEST_SIZE + 1];
    hex(digest, got);
    assert_string_equal(got, expected);
}

static void assert_sha256(const void *data, size_t len, const char *expected)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256(data, len, digest);
    assert_digest(digest, expected);
}

static void empty_message(void **state)
{
    (void)state;
    assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void abc(void **state)
{
    (void)state;
    assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void two_block_448_bit_message(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m), 56);
    assert_sha256(m, 56, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void one_million_a(void **state)
{
    (void)state;
    size_t len = 1000000;
    char *m = malloc(len);
    assert_non_null(m);
    memset(m, 'a', len);
    assert_sha256(m, len, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);
}

static void one_million_a_in_odd_pieces(void **state)
{
    (void)state;
    char piece[997];
    memset(piece, 'a', sizeof(piece));
    struct sha256 s;
    sha256_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof(piece) ? left : sizeof(piece);
        sha256_update(&s, piece, n);
        left -= n;
    }
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_final(&s, digest);
    assert_digest(digest, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void padding_boundaries(void **state)
{
    (void)state;
    /* 55 bytes: padding and length fit the block; 56: they need a second
     * block; 64: the padding block is a whole new one. */
    static const struct { size_t len; const char *digest; } cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
    };
    char m[128];
    memset(m, 'a', sizeof(m));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_sha256(m, cases[i].len, cases[i].digest);
}

static void incremental_updates_at_odd_sizes(void **state)
{
    (void)state;
    uint8_t m[1000];
    for (size_t i = 0; i < sizeof(m); i++)
        m[i] = (uint8_t)(i * 7 + 3);
    const char *expected = "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371";
    assert_sha256(m, sizeof(m), expected);

    static const size_t sizes[] = { 0, 1, 3, 7, 13, 63, 64, 65, 1, 55, 56, 127, 129 };
    struct sha256 s;
    sha256_init(&s);
    size_t at = 0;
    for (size_t i = 0; at < sizeof(m); i++) {
        size_t n = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
        if (n > sizeof(m) - at)
            n = sizeof(m) - at;
        sha256_update(&s, m + at, n);
        at += n;
    }
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_final(&s, digest);
    assert_digest(digest, expected);

    /* Byte by byte. */
    sha256_init(&s);
    for (size_t i = 0; i < sizeof(m); i++)
        sha256_update(&s, m + i, 1);
    sha256_final(&s, digest);
    assert_digest(digest, expected);
}

static void init_resets_a_used_context(void **state)
{
    (void)state;
    struct sha256 s;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&s);
    sha256_update(&s, "something else first", 20);
    sha256_final(&s, digest);
    sha256_init(&s);
    sha256_update(&s, "ab", 2);
    sha256_update(&s, "c", 1);
    sha256_final(&s, digest);
    assert_digest(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_message),
        cmocka_unit_test(abc),
        cmocka_unit_test(two_block_448_bit_message),
        cmocka_unit_test(one_million_a),
        cmocka_unit_test(one_million_a_in_odd_pieces),
        cmocka_unit_test(padding_boundaries),
        cmocka_unit_test(incremental_updates_at_odd_sizes),
        cmocka_unit_test(init_resets_a_used_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
