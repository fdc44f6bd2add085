#include <string.h>
#include "core/guest_panic.h"

/* Linux's panic() (kernel/panic.c) prints these two, whatever the cause. */
static const char panic_marker[] = "Kernel panic - not syncing";
static const char end_marker[] = "---[ end Kernel panic - not syncing";

void guest_panic_reset(struct guest_panic *p)
{
    memset(p, 0, sizeof(*p));
}

static bool line_ends_with(const struct guest_panic *p, const char *s)
{
    size_t n = strlen(s);
    return p->line_len >= n && memcmp(p->line + p->line_len - n, s, n) == 0;
}

static bool line_contains(const struct guest_panic *p, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= p->line_len; i++)
        if (memcmp(p->line + i, s, n) == 0)
            return true;
    return false;
}

static enum guest_panic_event end_of_line(struct guest_panic *p)
{
    enum guest_panic_event ev = GUEST_PANIC_NONE;
    if (p->started && !p->line_done) {
        p->line_done = true;
        ev = GUEST_PANIC_LINE;
    } else if (p->line_done && line_contains(p, end_marker)) {
        ev = GUEST_PANIC_ENDED;
    }
    p->line_len = 0;
    return ev;
}

enum guest_panic_event guest_panic_feed(struct guest_panic *p, char c)
{
    if (c == '\n' || c == '\r')
        return end_of_line(p);
    if (p->started && !p->line_done) {
        /* The reason: the rest of the panic line, without the ": " after
         * the marker, printable bytes only (it goes on lodger's console). */
        bool separator = p->reason_len == 0 && (c == ':' || c == ' ');
        if (!separator && p->reason_len < GUEST_PANIC_REASON_MAX - 1)
            p->reason[p->reason_len++] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    if (p->line_len < GUEST_PANIC_LINE_MAX)
        p->line[p->line_len++] = c;
    if (!p->started && line_ends_with(p, panic_marker)) {
        p->started = true;
        return GUEST_PANIC_STARTED;
    }
    return GUEST_PANIC_NONE;
}
