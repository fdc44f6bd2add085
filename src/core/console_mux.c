/* The board console shared by the VMs (see console_mux.h). */
#include <stdio.h>
#include <string.h>
#include "core/console_mux.h"

void console_mux_init(struct console_mux *m, uint64_t ticks_per_second)
{
    memset(m, 0, sizeof(*m));
    m->vm_count = 1;
    m->open = CONSOLE_MUX_OPEN_NONE;
    m->flush_after = ticks_per_second * CONSOLE_MUX_FLUSH_MS / 1000;
}

bool console_mux_multiplexed(const struct console_mux *m)
{
    return m->vm_count > 1;
}

static bool valid_vm(const struct console_mux *m, int vm)
{
    return vm >= 0 && vm < m->vm_count && vm < CONSOLE_MUX_MAX_VMS;
}

/* Into the ring, for whom (-1: lodger). Callers make sure of the room
 * (console_mux_room); what does not fit would be a broken promise, so it
 * is cut rather than written over what waits. */
static void out_for(struct console_mux *m, int whom, const char *s, size_t len)
{
    for (size_t i = 0; i < len && m->ring_len < CONSOLE_MUX_RING; i++) {
        size_t at = (m->ring_head + m->ring_len++) % CONSOLE_MUX_RING;
        m->ring[at] = s[i];
        m->owner[at] = (int8_t)whom;
        if (whom >= 0)
            m->vms[whom].in_ring++;
    }
}

static void out(struct console_mux *m, const char *s, size_t len)
{
    out_for(m, -1, s, len);
}

/* A byte of a VM's text takes at most this much of the ring: itself, and
 * a prefix and a newline before it if it starts a line. */
#define RING_PER_BYTE 7

bool console_mux_room(const struct console_mux *m, size_t len)
{
    return len <= CONSOLE_MUX_RING / RING_PER_BYTE &&
           m->ring_len + RING_PER_BYTE * len + CONSOLE_MUX_RESERVE <= CONSOLE_MUX_RING;
}

size_t console_mux_take(struct console_mux *m, char *buf, size_t max)
{
    size_t n = 0;
    for (; n < max && m->ring_len; n++, m->ring_len--) {
        buf[n] = m->ring[m->ring_head];
        int whom = m->owner[m->ring_head];
        if (whom >= 0 && whom < CONSOLE_MUX_MAX_VMS)
            m->vms[whom].in_ring--;
        m->ring_head = (m->ring_head + 1) % CONSOLE_MUX_RING;
    }
    return n;
}

/* Puts the cursor at the start of a line (closing another source's). */
static void close_open_line(struct console_mux *m)
{
    if (m->open != CONSOLE_MUX_OPEN_NONE)
        out(m, "\n", 1);
    m->open = CONSOLE_MUX_OPEN_NONE;
}

/* Writes the VM's buffered bytes: a whole line (ending in '\n') or a
 * partial one, which leaves the terminal's line open for it. */
static void flush_vm(struct console_mux *m, int vm)
{
    struct console_mux_vm *v = &m->vms[vm];
    if (!v->len)
        return;
    if (m->open != vm) {
        close_open_line(m);
        char prefix[8];
        int n = snprintf(prefix, sizeof(prefix), "vm%d%c ", vm, v->continued ? '+' : '|');
        out_for(m, vm, prefix, (size_t)n);
    }
    out_for(m, vm, v->line, v->len);
    bool whole = v->line[v->len - 1] == '\n';
    v->continued = !whole;
    m->open = whole ? CONSOLE_MUX_OPEN_NONE : vm;
    v->len = 0;
}

static void flush_all(struct console_mux *m)
{
    for (int i = 0; i < m->vm_count && i < CONSOLE_MUX_MAX_VMS; i++)
        flush_vm(m, i);
}

/* lodger's own line (or a full buffer of it), after what the VMs wrote
 * before it. */
static void flush_lodger(struct console_mux *m)
{
    if (!m->lodger_len)
        return;
    flush_all(m);
    if (m->open != CONSOLE_MUX_OPEN_LODGER)
        close_open_line(m);
    out(m, m->lodger_line, m->lodger_len);
    m->open = m->lodger_line[m->lodger_len - 1] == '\n' ? CONSOLE_MUX_OPEN_NONE
                                                        : CONSOLE_MUX_OPEN_LODGER;
    m->lodger_len = 0;
    m->lodger_waited = false;
}

/* The mux's notices: a line of their own, even when lodger's own text was
 * in the middle of one (what lodger has not finished waits). */
static void notice(struct console_mux *m, const char *fmt, int a, int b)
{
    char line[160];
    int n = snprintf(line, sizeof(line), fmt, a, b);
    if (n > (int)sizeof(line) - 1)
        n = sizeof(line) - 1;
    if (!console_mux_multiplexed(m)) {
        out(m, line, (size_t)n);
        return;
    }
    flush_all(m);
    close_open_line(m);
    out(m, line, (size_t)n);
}

static void focus_notice(struct console_mux *m)
{
    notice(m, "lodger: console input goes to vm%d (Ctrl-] then 0-%d: that VM, n: the next, "
           "?: this line)\n", m->focus, m->vm_count - 1);
}

void console_mux_set_vms(struct console_mux *m, int vm_count, int focus)
{
    flush_all(m);
    flush_lodger(m);
    if (vm_count < 1)
        vm_count = 1;
    if (vm_count > CONSOLE_MUX_MAX_VMS)
        vm_count = CONSOLE_MUX_MAX_VMS;
    m->vm_count = vm_count;
    m->focus = focus >= 0 && focus < vm_count ? focus : 0;
    m->escaped = false;
    if (console_mux_multiplexed(m))
        focus_notice(m);
}

static unsigned long backlog(const struct console_mux_vm *v)
{
    return v->len + v->in_ring;
}

bool console_mux_ready(const struct console_mux *m, int vm)
{
    if (!console_mux_multiplexed(m) || !valid_vm(m, vm))
        return true;
    return backlog(&m->vms[vm]) < CONSOLE_MUX_BACKLOG;
}

size_t console_mux_write(struct console_mux *m, int vm, const char *s, size_t len,
                         bool may_refuse, uint64_t now)
{
    if (!console_mux_room(m, len))
        return 0;
    if (!console_mux_multiplexed(m)) {
        out(m, s, len);
        return len;
    }
    if (!valid_vm(m, vm))
        return 0;
    struct console_mux_vm *v = &m->vms[vm];
    if (may_refuse) {
        unsigned long used = backlog(v);
        unsigned long room = used < CONSOLE_MUX_BACKLOG ? CONSOLE_MUX_BACKLOG - used : 0;
        if (len > room) {
            v->throttled += len - room;
            len = room;
        }
    }
    for (size_t i = 0; i < len; i++) {
        if (!v->len)
            v->since = now;
        v->line[v->len++] = s[i];
        if (s[i] == '\n' || v->len == CONSOLE_MUX_LINE_MAX)
            flush_vm(m, vm);
    }
    return len;
}

void console_mux_lodger_write(struct console_mux *m, const char *s, size_t len)
{
    if (!console_mux_multiplexed(m)) {
        out(m, s, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        m->lodger_line[m->lodger_len++] = s[i];
        if (s[i] == '\n' || m->lodger_len == CONSOLE_MUX_LINE_MAX)
            flush_lodger(m);
    }
}

void console_mux_tick(struct console_mux *m, uint64_t now)
{
    if (!console_mux_multiplexed(m))
        return;
    for (int i = 0; i < m->vm_count; i++) {
        struct console_mux_vm *v = &m->vms[i];
        if (v->len && (now - v->since >= m->flush_after || now < v->since))
            flush_vm(m, i);
    }
    if (m->lodger_waited)
        flush_lodger(m);
    m->lodger_waited = m->lodger_len > 0;
}

static int next_running(const struct console_mux *m, int from)
{
    for (int k = 1; k <= m->vm_count; k++) {
        int i = (from + k) % m->vm_count;
        if (!m->vms[i].ended)
            return i;
    }
    return from;
}

void console_mux_vm_ended(struct console_mux *m, int vm)
{
    if (!valid_vm(m, vm))
        return;
    flush_vm(m, vm);
    m->vms[vm].ended = true;
    if (console_mux_multiplexed(m) && m->focus == vm) {
        int next = next_running(m, vm);
        if (next != vm) {
            m->focus = next;
            focus_notice(m);
        }
    }
}

bool console_mux_input_room(const struct console_mux *m)
{
    if (console_mux_multiplexed(m))
        return true;
    return m->vms[0].input_count < CONSOLE_MUX_INPUT_MAX;
}

static void deliver(struct console_mux *m, uint8_t byte)
{
    struct console_mux_vm *v = &m->vms[m->focus];
    if (v->input_count == CONSOLE_MUX_INPUT_MAX) {
        v->input_dropped++;
        return;
    }
    v->input[(v->input_head + v->input_count) % CONSOLE_MUX_INPUT_MAX] = byte;
    v->input_count++;
}

/* The byte after the escape. */
static void command(struct console_mux *m, uint8_t byte)
{
    if (byte >= '0' && byte <= '9') {
        int vm = byte - '0';
        if (vm >= m->vm_count)
            notice(m, "lodger: there is no vm%d; console input stays with vm%d\n", vm, m->focus);
        else if (m->vms[vm].ended)
            notice(m, "lodger: vm%d has ended; console input stays with vm%d\n", vm, m->focus);
        else if (vm != m->focus) {
            m->focus = vm;
            focus_notice(m);
        }
    } else if (byte == 'n') {
        int next = next_running(m, m->focus);
        if (next != m->focus) {
            m->focus = next;
            focus_notice(m);
        }
    } else if (byte == '?') {
        focus_notice(m);
    } else if (byte == CONSOLE_MUX_ESCAPE) {
        deliver(m, byte);
    } else {
        deliver(m, CONSOLE_MUX_ESCAPE);
        deliver(m, byte);
    }
}

void console_mux_input(struct console_mux *m, uint8_t byte)
{
    if (!console_mux_multiplexed(m)) {
        m->focus = 0;
        deliver(m, byte);
    } else if (m->escaped) {
        m->escaped = false;
        command(m, byte);
    } else if (byte == CONSOLE_MUX_ESCAPE) {
        m->escaped = true;
    } else {
        deliver(m, byte);
    }
}

int console_mux_getchar(struct console_mux *m, int vm)
{
    if (vm < 0 || vm >= CONSOLE_MUX_MAX_VMS)
        return -1;
    struct console_mux_vm *v = &m->vms[vm];
    if (!v->input_count)
        return -1;
    uint8_t byte = v->input[v->input_head];
    v->input_head = (v->input_head + 1) % CONSOLE_MUX_INPUT_MAX;
    v->input_count--;
    return byte;
}
