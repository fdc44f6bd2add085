/* For guests that run as one of several VMs on one console: each line they
 * print starts "[TAG] " (the tag from a boot argument; none when it is
 * empty, as in the usual native/lodger pair), so that the test runner can
 * sort one board console into each VM's lines; and the memory pattern they
 * fill their RAM with, one of each tag's own. Included, not linked into
 * every guest. */
#ifndef LODGER_TEST_TAGGED_H
#define LODGER_TEST_TAGGED_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include "../lib/guest.h"

static char tag[16];

/* Formats "[tag] " and the text into line; returns the prefix's length. */
static inline __attribute__((unused)) int tag_vformat(char *line, size_t size, const char *fmt,
                                                      va_list ap)
{
    int n = tag[0] ? snprintf(line, size, "[%s] ", tag) : 0;
    vsnprintf(line + n, size - (size_t)n, fmt, ap);
    return n;
}

#ifndef TAGGED_OWN_SAY
/* A tagged line to the SBI console (a guest that prints otherwise defines
 * TAGGED_OWN_SAY and its own say, with tag_vformat). */
static inline __attribute__((unused, format(printf, 1, 2))) void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    tag_vformat(line, sizeof(line), fmt, ap);
    va_end(ap);
    putstr(line);
}
#endif

/* The value of word i of the pattern seeded by s (xorshift-mixed). */
static inline __attribute__((unused)) uint64_t pattern(uint64_t s, uint64_t i)
{
    uint64_t x = (s ^ (i * 0x9e3779b97f4a7c15UL)) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

#endif
