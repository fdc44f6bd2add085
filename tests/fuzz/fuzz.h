/* Shared by the libFuzzer targets in tests/fuzz: reading typed values off
 * the fuzzer's input, and a check that stops the run (a crash libFuzzer
 * saves) when a module breaks one of its promises. */
#ifndef LODGER_FUZZ_H
#define LODGER_FUZZ_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_input {
    const uint8_t *data;
    size_t size;
};

/* The next n bytes (little-endian), zero-filled once the input runs out. */
static inline uint64_t fuzz_take(struct fuzz_input *in, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (in->size) {
            v |= (uint64_t)in->data[0] << (8 * i);
            in->data++;
            in->size--;
        }
    }
    return v;
}
static inline uint8_t fuzz_u8(struct fuzz_input *in) { return (uint8_t)fuzz_take(in, 1); }
static inline uint16_t fuzz_u16(struct fuzz_input *in) { return (uint16_t)fuzz_take(in, 2); }
static inline uint32_t fuzz_u32(struct fuzz_input *in) { return (uint32_t)fuzz_take(in, 4); }
static inline uint64_t fuzz_u64(struct fuzz_input *in) { return fuzz_take(in, 8); }

#define FUZZ_CHECK(cond) do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
