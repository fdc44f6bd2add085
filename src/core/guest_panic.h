/* Recognises a guest kernel's panic in its console output. Debian's Linux
 * has no pvpanic device and, with CONFIG_PANIC_TIMEOUT=0, spins forever
 * after a panic; what lodger does see is the report on the console:
 *
 *   [    1.31] Kernel panic - not syncing: VFS: Unable to mount root fs ...
 *   ... CPU, hardware name, backtrace ...
 *   [    1.32] ---[ end Kernel panic - not syncing: VFS: Unable to ... ]---
 *
 * A line matcher fed one byte at a time (one per console stream: lines of
 * two streams do not mix). Pure C; host-tested in tests/host/test_guest_panic.c. */
#ifndef LODGER_CORE_GUEST_PANIC_H
#define LODGER_CORE_GUEST_PANIC_H

#include <stdbool.h>

#define GUEST_PANIC_LINE_MAX 256        /* longer lines are cut (the marker comes early) */
#define GUEST_PANIC_REASON_MAX 128

enum guest_panic_event {
    GUEST_PANIC_NONE,
    GUEST_PANIC_STARTED,    /* the panic marker just arrived; the report follows */
    GUEST_PANIC_LINE,       /* the panic line is complete: reason holds its text */
    GUEST_PANIC_ENDED,      /* the report's closing line arrived: nothing more comes */
};

struct guest_panic {
    char line[GUEST_PANIC_LINE_MAX];    /* the current line so far */
    unsigned line_len;
    bool started;           /* a panic line began */
    bool line_done;         /* ... and ended: now waiting for the closing line */
    char reason[GUEST_PANIC_REASON_MAX];/* after "not syncing: ", as far as it came */
    unsigned reason_len;
};

void guest_panic_reset(struct guest_panic *p);
/* One byte of console output; returns what it completed. */
enum guest_panic_event guest_panic_feed(struct guest_panic *p, char c);

#endif
