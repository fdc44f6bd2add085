/* Shared by tests/host/test_console_mux.c and tests/fuzz/fuzz_console_mux.c:
 * drives src/core/console_mux.c with a recorded board console, and checks
 * its promises on what came out. lodger's own text in these drivers is
 * made of 'L' and '\n' only, so that a line's first bytes say its source:
 * "vmN| " or "vmN+ " a VM's, "lodger: " a notice of the mux, 'L' or an
 * empty line lodger's. */
#ifndef LODGER_TESTS_CONSOLE_MUX_CHECK_H
#define LODGER_TESTS_CONSOLE_MUX_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "core/console_mux.h"

#define MUX_CHECK_MAX (1u << 20)

struct mux_record {
    char *out;                  /* what reached the board console */
    size_t out_len;
    char *sent[CONSOLE_MUX_MAX_VMS];    /* what each VM's writes had taken */
    size_t sent_len[CONSOLE_MUX_MAX_VMS];
    size_t lodger_bytes;        /* 'L's lodger wrote */
    char why[200];              /* the broken promise */
};

/* The board console takes what waits in the ring (at most max bytes). */
static inline void mux_record_drain(struct console_mux *m, struct mux_record *r, size_t max)
{
    char buf[512];
    while (max) {
        size_t n = console_mux_take(m, buf, max < sizeof(buf) ? max : sizeof(buf));
        if (!n)
            break;
        if (r->out_len + n > MUX_CHECK_MAX)
            abort();
        memcpy(r->out + r->out_len, buf, n);
        r->out_len += n;
        max -= n;
    }
}

static inline void mux_record_init(struct mux_record *r)
{
    memset(r, 0, sizeof(*r));
    r->out = malloc(MUX_CHECK_MAX);
    for (int i = 0; i < CONSOLE_MUX_MAX_VMS; i++)
        r->sent[i] = malloc(MUX_CHECK_MAX);
}

static inline void mux_record_free(struct mux_record *r)
{
    free(r->out);
    for (int i = 0; i < CONSOLE_MUX_MAX_VMS; i++)
        free(r->sent[i]);
}

/* A VM's write, recording what the mux took. */
static inline size_t mux_record_write(struct console_mux *m, struct mux_record *r, int vm,
                                      const char *s, size_t len, bool may_refuse, uint64_t now)
{
    size_t n = console_mux_write(m, vm, s, len, may_refuse, now);
    if (n > len || r->sent_len[vm] + n > MUX_CHECK_MAX)
        abort();
    memcpy(r->sent[vm] + r->sent_len[vm], s, n);
    r->sent_len[vm] += n;
    return n;
}

static inline void mux_record_lodger(struct console_mux *m, struct mux_record *r,
                                     const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        r->lodger_bytes += s[i] == 'L';
    console_mux_lodger_write(m, s, len);
}

/* Several VMs: rebuilds each VM's stream from the board console's lines
 * (a "vmN+ " line says that VM's previous line ended with a newline the mux
 * put there, not the VM's) and checks that it is exactly what the VM wrote,
 * less what still waits in its buffer; and that lodger's text all came
 * out. False with r->why set otherwise. */
static inline bool mux_check_multiplexed(struct console_mux *m, struct mux_record *r)
{
    /* Each VM's share of the ring is what it says. */
    unsigned long owned[CONSOLE_MUX_MAX_VMS] = { 0 };
    for (size_t k = 0; k < m->ring_len; k++) {
        int whom = m->owner[(m->ring_head + k) % CONSOLE_MUX_RING];
        if (whom >= 0)
            owned[whom]++;
    }
    for (int vm = 0; vm < CONSOLE_MUX_MAX_VMS; vm++)
        if (owned[vm] != m->vms[vm].in_ring) {
            snprintf(r->why, sizeof(r->why), "vm%d has %lu bytes in the ring, counted %lu", vm,
                     owned[vm], m->vms[vm].in_ring);
            return false;
        }
    mux_record_drain(m, r, SIZE_MAX);
    static char got[CONSOLE_MUX_MAX_VMS][MUX_CHECK_MAX];
    size_t got_len[CONSOLE_MUX_MAX_VMS] = { 0 }, lodger = 0;
    /* Whether each VM's last rebuilt segment ended with a newline. */
    bool ended_nl[CONSOLE_MUX_MAX_VMS] = { false };
    size_t i = 0;
    while (i < r->out_len) {
        const char *line = r->out + i;
        size_t rest = r->out_len - i;
        const char *nl = memchr(line, '\n', rest);
        size_t len = nl ? (size_t)(nl - line) + 1 : rest;
        if (len >= 5 && line[0] == 'v' && line[1] == 'm' && line[2] >= '0' && line[2] <= '7' &&
            (line[3] == '|' || line[3] == '+') && line[4] == ' ') {
            int vm = line[2] - '0';
            if (vm >= m->vm_count) {
                snprintf(r->why, sizeof(r->why), "a line of vm%d, which does not exist", vm);
                return false;
            }
            if (line[3] == '+') {
                if (!got_len[vm] || !ended_nl[vm]) {
                    snprintf(r->why, sizeof(r->why), "vm%d continued a line it never broke", vm);
                    return false;
                }
                got_len[vm]--;      /* the mux's newline */
            } else if (got_len[vm] && !ended_nl[vm]) {
                snprintf(r->why, sizeof(r->why), "vm%d's broken line went on as a new one", vm);
                return false;
            }
            memcpy(got[vm] + got_len[vm], line + 5, len - 5);
            got_len[vm] += len - 5;
            ended_nl[vm] = line[len - 1] == '\n';
        } else if (len >= 8 && !memcmp(line, "lodger: ", 8)) {
            /* a notice */
        } else {
            for (size_t k = 0; k < len; k++) {
                if (line[k] != 'L' && line[k] != '\n') {
                    snprintf(r->why, sizeof(r->why), "a line of no source at byte %zu: %.40s", i,
                             line);
                    return false;
                }
                lodger += line[k] == 'L';
            }
        }
        i += len;
    }
    for (int vm = 0; vm < m->vm_count; vm++) {
        const struct console_mux_vm *v = &m->vms[vm];
        /* A line ended by the mux that the VM has not gone on with yet. */
        if (v->continued && m->open != vm && got_len[vm] && ended_nl[vm])
            got_len[vm]--;
        size_t want = r->sent_len[vm] - v->len;
        if (got_len[vm] != want || memcmp(got[vm], r->sent[vm], want) ||
            memcmp(v->line, r->sent[vm] + want, v->len)) {
            snprintf(r->why, sizeof(r->why), "vm%d: %zu bytes out, %zu written less %u buffered "
                     "(or they differ)", vm, got_len[vm], r->sent_len[vm], v->len);
            return false;
        }
    }
    /* lodger's unfinished line waits in the mux. */
    for (unsigned k = 0; k < m->lodger_len; k++)
        lodger += m->lodger_line[k] == 'L';
    if (lodger != r->lodger_bytes) {
        snprintf(r->why, sizeof(r->why), "lodger wrote %zu bytes, %zu came out", r->lodger_bytes,
                 lodger);
        return false;
    }
    return true;
}

#endif
