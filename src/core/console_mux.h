/* The board console shared by the VMs: their consoles' output (UART and SBI
 * console) multiplexed onto it line by line, and the input typed at it
 * delivered to the VM that has the focus. A pure state machine over bytes
 * and a clock, host-tested; lodger's console (core/console.c) drives it
 * under its lock, and writes what it puts in its output ring to the board
 * console outside that lock (console_mux_take), so that a slow console
 * holds no VM that only has bytes to hand in.
 *
 * With one VM it stays out of the way: output goes to the ring as it comes,
 * unprefixed and never refused, and input has no escape, exactly as
 * without it.
 *
 * With several VMs:
 * - Output. Each VM's bytes collect in its line buffer; a whole line goes
 *   to the ring at once with the prefix "vmN| ". A partial line goes when
 *   the buffer fills or its first byte is CONSOLE_MUX_FLUSH_MS old; the
 *   board console's line then stays that VM's until another source
 *   writes, which first ends the line with "\n", and the VM's next output
 *   starts with "vmN+ " (continued). Lines of different VMs never mix; no
 *   byte is dropped.
 * - Throttling. A VM's backlog is what it wrote that the board console has
 *   not taken yet (its line buffer and its bytes in the ring). At
 *   CONSOLE_MUX_BACKLOG it is not ready: writes that may be refused (SBI
 *   DBCN console_write, which "may do partial/no writes", SBI spec 12.1)
 *   take only up to that, and its UART shows THR not empty, until the
 *   console has taken its bytes. Writes that block by their spec (legacy
 *   putchar, DBCN write_byte) or cannot be refused (a THR write) are taken
 *   while the ring has room; when it has none the writer waits for the
 *   console (console_mux_room). A VM that floods fills its own backlog:
 *   the others' lines wait behind at most that much of its output.
 * - Input goes to the focused VM (from the configuration; VM 0 by
 *   default). CONSOLE_MUX_ESCAPE (Ctrl-]) then a digit focuses that VM,
 *   then 'n' the next running VM, then '?' prints where input goes; the
 *   escape twice sends one escape byte; the escape then any other byte
 *   sends both. Each change of focus prints one line. A VM that does not
 *   read its input loses what exceeds CONSOLE_MUX_INPUT_MAX bytes: the
 *   board console is never blocked, so the escape always works. */
#ifndef LODGER_CORE_CONSOLE_MUX_H
#define LODGER_CORE_CONSOLE_MUX_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define CONSOLE_MUX_MAX_VMS 8
#define CONSOLE_MUX_LINE_MAX 256
#define CONSOLE_MUX_INPUT_MAX 256
#define CONSOLE_MUX_FLUSH_MS 50
#define CONSOLE_MUX_BACKLOG 4096
#define CONSOLE_MUX_RING (16 * CONSOLE_MUX_BACKLOG)
/* Ring space an operation may need besides its text: every VM's partial
 * line, prefixed, a newline before each, and a notice. */
#define CONSOLE_MUX_RESERVE ((CONSOLE_MUX_MAX_VMS + 1) * (CONSOLE_MUX_LINE_MAX + 16) + 256)
#define CONSOLE_MUX_ESCAPE 0x1d     /* Ctrl-] */
/* Bytes of input read off the board console per poll, at most. */
#define CONSOLE_MUX_INPUT_BURST 64

struct console_mux_vm {
    char line[CONSOLE_MUX_LINE_MAX];    /* its output not yet written */
    unsigned len;
    uint64_t since;             /* when line[0] came */
    bool continued;             /* its last output went without its newline */
    bool ended;                 /* its VM has ended: not focusable */
    unsigned long in_ring;      /* its bytes in the ring (prefixes included) */
    uint8_t input[CONSOLE_MUX_INPUT_MAX];
    unsigned input_head, input_count;
    unsigned long input_dropped;        /* typed while its input was full */
    unsigned long throttled;            /* bytes refused for its backlog */
};

/* Whose line the board console's cursor is in. */
#define CONSOLE_MUX_OPEN_NONE (-1)      /* at the start of a line */
#define CONSOLE_MUX_OPEN_LODGER (-2)    /* lodger's own output */

struct console_mux {
    int vm_count;               /* 0 or 1: pass-through */
    int focus;
    bool escaped;               /* the escape byte came; the next one is a command */
    int open;                   /* CONSOLE_MUX_OPEN_* or the VM whose line is open */
    uint64_t flush_after;       /* in clock ticks */
    struct console_mux_vm vms[CONSOLE_MUX_MAX_VMS];
    /* lodger's own text (several VMs: a line at a time too, so that a VM's
     * line never lands inside one lodger prints in pieces). */
    char lodger_line[CONSOLE_MUX_LINE_MAX];
    unsigned lodger_len;
    bool lodger_waited;         /* its partial line was there at the last tick */
    /* What goes to the board console, in order, and whose each byte is
     * (a VM, or -1: lodger's and the mux's own). */
    char ring[CONSOLE_MUX_RING];
    int8_t owner[CONSOLE_MUX_RING];
    size_t ring_head, ring_len;
};

/* One VM, pass-through; the clock runs at ticks_per_second. */
void console_mux_init(struct console_mux *m, uint64_t ticks_per_second);
/* The VMs the board runs (from the configuration) and which has the input
 * first; with more than one, prints the focus line. Counts over
 * CONSOLE_MUX_MAX_VMS and a focus out of range are clamped. */
void console_mux_set_vms(struct console_mux *m, int vm_count, int focus);
bool console_mux_multiplexed(const struct console_mux *m);

/* Whether the ring has room for an operation on len bytes of text: every
 * call below but console_mux_write (which takes nothing without room) and
 * console_mux_getchar needs console_mux_room(m, its len or 0) first; the
 * caller lets the board console take output until then. */
bool console_mux_room(const struct console_mux *m, size_t len);
/* Up to max bytes for the board console, in order (0: none waiting). */
size_t console_mux_take(struct console_mux *m, char *buf, size_t max);

/* A VM's console output: returns how many of the len bytes were taken (all
 * unless may_refuse and the VM's backlog is full). */
size_t console_mux_write(struct console_mux *m, int vm, const char *s, size_t len,
                         bool may_refuse, uint64_t now);
/* Whether the VM may write now without being refused (its UART's THRE). */
bool console_mux_ready(const struct console_mux *m, int vm);
/* lodger's own output. Several VMs: a line at a time, after the VMs'
 * partial lines, on a line of its own; a partial line goes at the second
 * tick that finds it. */
void console_mux_lodger_write(struct console_mux *m, const char *s, size_t len);
/* Writes partial lines that have waited CONSOLE_MUX_FLUSH_MS; call often. */
void console_mux_tick(struct console_mux *m, uint64_t now);
/* The VM ended: its partial line goes out, and the focus moves on if it
 * had it. */
void console_mux_vm_ended(struct console_mux *m, int vm);

/* Whether a typed byte can be taken now (one VM: while its input has room,
 * so that the board console holds the rest; several: always). */
bool console_mux_input_room(const struct console_mux *m);
/* A byte typed at the board console. */
void console_mux_input(struct console_mux *m, uint8_t byte);
/* The VM's next input byte, or -1. */
int console_mux_getchar(struct console_mux *m, int vm);

#endif
