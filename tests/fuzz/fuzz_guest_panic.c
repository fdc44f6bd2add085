/* Fuzzes the guest-panic line matcher (src/core/guest_panic.c) with any
 * console output of a guest, a byte at a time. Its line and reason buffers
 * must stay within bounds and terminated. */
#include "fuzz.h"
#include "core/guest_panic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guest_panic p;
    guest_panic_reset(&p);
    for (size_t i = 0; i < size; i++) {
        enum guest_panic_event e = guest_panic_feed(&p, (char)data[i]);
        FUZZ_CHECK(e == GUEST_PANIC_NONE || e == GUEST_PANIC_STARTED ||
                   e == GUEST_PANIC_LINE || e == GUEST_PANIC_ENDED);
        FUZZ_CHECK(p.line_len <= GUEST_PANIC_LINE_MAX);
        FUZZ_CHECK(p.reason_len < GUEST_PANIC_REASON_MAX);
        if (e == GUEST_PANIC_LINE)
            FUZZ_CHECK(memchr(p.reason, 0, sizeof(p.reason)) != NULL);
    }
    return 0;
}
