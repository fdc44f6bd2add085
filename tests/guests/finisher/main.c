/* Powers off through QEMU virt's test finisher (sifive,test0 at 0x100000)
 * with "pass": natively QEMU exits 0, under lodger the VM ends as a pass
 * (lodger's dev/sifive_test.c) and QEMU exits 0 too. Before that: the
 * board's device tree has the device and its syscon-poweroff/reboot nodes,
 * reads return 0, a write of another value does nothing, and byte and
 * doubleword accesses are access faults (QEMU's device takes 2 and 4). */
#include <string.h>
#include "../lib/guest.h"

#define FINISHER 0x100000UL
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_STORE_ACCESS 7

/* The tree's structure and strings blocks hold node names and compatible
 * strings as NUL-terminated bytes: enough to see what is there. */
static bool dt_has(const char *s)
{
    const unsigned char *dt = (const unsigned char *)guest_dt;
    uint32_t size = __builtin_bswap32(*(const uint32_t *)(dt + 4));
    size_t n = strlen(s) + 1;
    for (uint32_t i = 0; i + n <= size; i++)
        if (!memcmp(dt + i, s, n))
            return true;
    return false;
}

static unsigned long faults(void (*access)(void))
{
    int before = last_trap.count;
    trap_skip = 1;
    access();
    return last_trap.count == before ? 0 : (unsigned long)last_trap.scause;
}

static void load_byte(void) { (void)*(volatile uint8_t *)FINISHER; }
static void store_byte(void) { *(volatile uint8_t *)FINISHER = 0x55; }
static void load_double(void) { (void)*(volatile uint64_t *)FINISHER; }
static void store_double(void) { *(volatile uint64_t *)FINISHER = 0x5555; }

int guest_main(void)
{
    gprintf("=== begin: finisher ===\n");
    gprintf("case dt_node: test@100000 %d sifive,test0 %d syscon-poweroff %d syscon-reboot %d\n",
            dt_has("test@100000"), dt_has("sifive,test0"), dt_has("syscon-poweroff"),
            dt_has("syscon-reboot"));
    CHECK(dt_has("test@100000") && dt_has("syscon-poweroff"));
    uint32_t w = *(volatile uint32_t *)FINISHER;
    uint16_t h = *(volatile uint16_t *)(FINISHER + 2);
    gprintf("case reads: word 0x%x half 0x%x\n", w, h);
    CHECK(w == 0 && h == 0);
    *(volatile uint32_t *)FINISHER = 0x1234;           /* not a finisher command */
    *(volatile uint32_t *)(FINISHER + 4) = 0x5555;     /* not the register */
    gprintf("case other_writes: still running\n");
    unsigned long lb = faults(load_byte), sb = faults(store_byte);
    unsigned long ld = faults(load_double), sd = faults(store_double);
    gprintf("case widths: lb %lu sb %lu ld %lu sd %lu\n", lb, sb, ld, sd);
    CHECK(lb == CAUSE_LOAD_ACCESS && sb == CAUSE_STORE_ACCESS);
    CHECK(ld == CAUSE_LOAD_ACCESS && sd == CAUSE_STORE_ACCESS);
    if (failures)
        return failures;
    gprintf("=== end: PASS ===\n");
    *(volatile uint32_t *)FINISHER = 0x5555;
    gprintf("the pass command returned\n");
    return 1;
}
