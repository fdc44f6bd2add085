/* The board console shared by the VMs (see console_mux.h). */
#include <stdio.h>
#include <string.h>
#include "core/console_mux.h"

void console_mux_init(struct console_mux *m, uint64_t ticks_per_second,
                      void (*emit)(void *ctx, const char *s, size_t len), void *ctx)
{
    memset(m, 0, sizeof(*m));
    m->vm_count = 1;
    m->open = CONSOLE_MUX_OPEN_NONE;
    m->flush_after = ticks_per_second * CONSOLE_MUX_FLUSH_MS / 1000;
    m->period = ticks_per_second * CONSOLE_MUX_PERIOD_MS / 1000;
    m->emit = emit;
    m->ctx = ctx;
}

bool console_mux_multiplexed(const struct console_mux *m)
{
    return m->vm_count > 1;
}

static bool valid_vm(const struct console_mux *m, int vm)
{
    return vm >= 0 && vm < m->vm_count && vm < CONSOLE_MUX_MAX_VMS;
}

static void out(struct console_mux *m, const char *s, size_t len)
{
    if (len)
        m->emit(m->ctx, s, len);
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
        out(m, prefix, (size_t)n);
    }
    out(m, v->line, v->len);
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

/* lodger's notices: a line of their own, even when lodger's own text was
 * in the middle of one. */
static void notice(struct console_mux *m, const char *fmt, int a, int b)
{
    if (m->open == CONSOLE_MUX_OPEN_LODGER)
        close_open_line(m);
    char line[160];
    int n = snprintf(line, sizeof(line), fmt, a, b);
    if (n > (int)sizeof(line) - 1)
        n = sizeof(line) - 1;
    console_mux_lodger_write(m, line, (size_t)n);
}

static void focus_notice(struct console_mux *m)
{
    notice(m, "lodger: console input goes to vm%d (Ctrl-] then 0-%d: that VM, n: the next, "
           "?: this line)\n", m->focus, m->vm_count - 1);
}

void console_mux_set_vms(struct console_mux *m, int vm_count, int focus)
{
    flush_all(m);
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

/* The VM's throttling period, restarted once it has run out. */
static void renew_period(struct console_mux_vm *v, uint64_t period, uint64_t now)
{
    if (now - v->period_start >= period || now < v->period_start) {
        v->period_start = now;
        v->period_bytes = 0;
    }
}

bool console_mux_ready(const struct console_mux *m, int vm, uint64_t now)
{
    if (!console_mux_multiplexed(m) || !valid_vm(m, vm))
        return true;
    const struct console_mux_vm *v = &m->vms[vm];
    return now - v->period_start >= m->period || now < v->period_start ||
           v->period_bytes < CONSOLE_MUX_ALLOWANCE;
}

size_t console_mux_write(struct console_mux *m, int vm, const char *s, size_t len,
                         bool may_refuse, uint64_t now)
{
    if (!console_mux_multiplexed(m)) {
        out(m, s, len);
        return len;
    }
    if (!valid_vm(m, vm))
        return 0;
    struct console_mux_vm *v = &m->vms[vm];
    renew_period(v, m->period, now);
    if (may_refuse) {
        unsigned long room = v->period_bytes < CONSOLE_MUX_ALLOWANCE ?
                             CONSOLE_MUX_ALLOWANCE - v->period_bytes : 0;
        if (len > room) {
            v->throttled += len - room;
            len = room;
        }
    }
    v->period_bytes += len;
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
    if (!len)
        return;
    if (console_mux_multiplexed(m) && m->open != CONSOLE_MUX_OPEN_LODGER) {
        /* What the VMs wrote before comes first (unless lodger is in the
         * middle of a line of its own: they come at the next tick). */
        flush_all(m);
        close_open_line(m);
    }
    out(m, s, len);
    m->open = s[len - 1] == '\n' ? CONSOLE_MUX_OPEN_NONE : CONSOLE_MUX_OPEN_LODGER;
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
