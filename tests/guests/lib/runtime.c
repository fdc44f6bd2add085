#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"

#define SBI_EXT_DBCN 0x4442434E
#define SBI_EXT_SRST 0x53525354

int failures;
unsigned long guest_dt;

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Property prop of the first node at depth 2 named parent (depth 1 is the
 * root), or of its first child whose name starts with child if child is
 * given, by a walk of the flattened tree's structure block (devicetree
 * specification 5.4); NULL if absent or the tree is not one. */
static const char *dt_find(const char *parent, const char *child, const char *prop, uint32_t *len)
{
    const uint8_t *dt = (const uint8_t *)guest_dt;
    if (!dt || be32(dt) != 0xd00dfeedu)
        return NULL;
    const uint8_t *p = dt + be32(dt + 8), *end = p + be32(dt + 36);
    const char *strings = (const char *)dt + be32(dt + 12);
    int depth = 0, in_parent = 0, in_node = 0;
    while (p + 4 <= end) {
        uint32_t token = be32(p);
        p += 4;
        if (token == 1) {                       /* FDT_BEGIN_NODE */
            const char *name = (const char *)p;
            depth++;
            if (depth == 2)
                in_parent = !strcmp(name, parent);
            in_node = in_parent && (child ? depth == 3 && !strncmp(name, child, strlen(child))
                                          : depth == 2);
            p += (strlen(name) + 4) & ~3UL;
        } else if (token == 2) {                /* FDT_END_NODE */
            depth--;
            in_node = !child && in_parent && depth == 2;
            if (depth < 2)
                in_parent = 0;
        } else if (token == 3) {                /* FDT_PROP */
            uint32_t plen = be32(p), name = be32(p + 4);
            if (in_node && !strcmp(strings + name, prop)) {
                if (len)
                    *len = plen;
                return (const char *)p + 8;
            }
            p += 8 + ((plen + 3) & ~3UL);
        } else if (token != 4) {                /* FDT_NOP; FDT_END or junk */
            break;
        }
    }
    return NULL;
}

static const char *dt_bootargs(void)
{
    return dt_find("chosen", NULL, "bootargs", NULL);
}

bool dt_cpu_has_prop(const char *prop)
{
    return dt_find("cpus", "cpu@", prop, NULL) != NULL;
}

bool dt_isa_has(const char *ext)
{
    uint32_t len = 0;
    const char *isa = dt_find("cpus", "cpu@", "riscv,isa", NULL);
    size_t n = strlen(ext);
    if (isa && !strncmp(isa, "rv64", 4)) {
        if (n == 1) {                           /* a letter of the base part */
            for (const char *c = isa + 4; *c && *c != '_'; c++)
                if (*c == ext[0])
                    return true;
        } else {                                /* "_ext" followed by '_' or the end */
            for (const char *c = strchr(isa, '_'); c; c = strchr(c + 1, '_'))
                if (!strncmp(c + 1, ext, n) && (c[1 + n] == '_' || !c[1 + n]))
                    return true;
        }
    }
    const char *list = dt_find("cpus", "cpu@", "riscv,isa-extensions", &len);
    for (const char *e = list; e && e < list + len; e += strlen(e) + 1)
        if (!strcmp(e, ext))
            return true;
    return false;
}

const char *guest_bootargs(void)
{
    return dt_bootargs();
}

int guest_levels(void)
{
    static int levels;
    if (!levels) {
        const char *args = dt_bootargs(), *at = args ? strstr(args, "guest.levels=") : NULL;
        char c = at ? at[13] : 0;
        levels = c >= '3' && c <= '5' ? c - '0' : 5;
    }
    return levels;
}
struct trap_record last_trap;
volatile int trap_skip = 1;
volatile uint64_t trap_resume_pc;
volatile int trap_vector_slot = -1;
volatile int trap_last_slot = -1;
void (*volatile trap_hook)(void);
volatile int user_trap_continue;
static volatile int user_active;
static volatile unsigned long user_saved_sie;

void user_leave(long value) __attribute__((noreturn));
long run_user_asm(void (*fn)(long), long arg);

long run_user(void (*fn)(long), long arg)
{
    user_saved_sie = csr_read(sstatus) & SSTATUS_SIE;
    user_active = 1;
    long r = run_user_asm(fn, arg);
    user_active = 0;
    csr_set(sstatus, user_saved_sie);
    return r;
}

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
                       unsigned long a1, unsigned long a2, unsigned long a3)
{
    register unsigned long r0 __asm__("a0") = a0, r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2, r3 __asm__("a3") = a3;
    register unsigned long r6 __asm__("a6") = fid, r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ (long)r0, (long)r1 };
}

static int has_dbcn = -1;

void putstr(const char *s)
{
    size_t len = strlen(s);
    if (has_dbcn < 0) {
        struct sbiret r = sbi_call(0x10, 3, SBI_EXT_DBCN, 0, 0, 0);
        has_dbcn = r.error == 0 && r.value != 0;
    }
    if (has_dbcn) {
        while (len) {
            struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, len, (unsigned long)s, 0, 0);
            if (r.error)
                break;
            s += r.value;
            len -= (size_t)r.value;
        }
        return;
    }
    while (*s)
        sbi_call(0x01, 0, (unsigned char)*s++, 0, 0, 0);
}

void gprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    putstr(buf);
}

void guest_exit(int status)
{
    gprintf("=== end: %s ===\n", status ? "FAIL" : "PASS");
    sbi_call(SBI_EXT_SRST, 0, 0, status ? 1 : 0, 0, 0);
    /* Legacy shutdown if SRST is missing. */
    sbi_call(0x08, 0, 0, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

/* Called from the trap vector with the trap recorded; skips the instruction. */
void guest_trap_handler(void);
void guest_trap_handler(void)
{
    last_trap.scause = csr_read(scause);
    last_trap.stval = csr_read(stval);
    last_trap.sepc = csr_read(sepc);
    last_trap.sstatus = csr_read(sstatus);
    last_trap.count++;
    trap_last_slot = trap_vector_slot;
    if (trap_hook)
        trap_hook();
    if ((long)last_trap.scause < 0) {
        /* Interrupts: mask the source; tests re-enable what they need. */
        csr_clear(sie, 1UL << (last_trap.scause & 63));
        return;
    }
    if (user_active && !(last_trap.sstatus & SSTATUS_SPP) && !user_trap_continue) {
        /* Back in S-mode, on run_user's stack; nothing to sret from. */
        user_active = 0;
        user_leave((long)last_trap.scause);
    }
    if (trap_resume_pc) {
        csr_write(sepc, trap_resume_pc);
        trap_resume_pc = 0;
    } else if (trap_skip) {
        uint16_t low = *(volatile uint16_t *)last_trap.sepc;
        csr_write(sepc, last_trap.sepc + ((low & 3) == 3 ? 4 : 2));
    }
}

/* picolibc's stdio is not used; it still wants these for assert paths. */
void _exit(int status);
void _exit(int status) { guest_exit(status); }

/* Stack-protector symbols that picolibc's archives may reference. */
unsigned long __stack_chk_guard = 0x1234567890abcdefUL;
void __stack_chk_fail(void);
void __stack_chk_fail(void) { guest_exit(99); }

void guest_arg(const char *key, char *out, size_t len, const char *dflt)
{
    const char *args = guest_bootargs(), *at = args ? strstr(args, key) : NULL;
    const char *from = at ? at + strlen(key) : dflt;
    size_t n = 0;
    for (; from[n] && from[n] != ' ' && n + 1 < len; n++)
        out[n] = from[n];
    out[n] = 0;
}
