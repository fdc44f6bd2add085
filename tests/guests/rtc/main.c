/* The board's real-time clock: QEMU virt's Goldfish RTC ("google,goldfish-rtc"
 * at 0x101000, PLIC source 11; QEMU's hw/rtc/goldfish_rtc.c, lodger's
 * dev/goldfish_rtc.c). Natively it is QEMU's, under lodger the VM's own:
 * the same facts must hold, and only facts are printed (no times).
 * - the device tree's node (reg, interrupts on the PLIC);
 * - the time: after 2024, before 2100, going forward at the rate of the
 *   time CSR; TIME_HIGH is what the last TIME_LOW read latched;
 * - setting it (high half, then low, as Linux does), reading it back, and
 *   a count that wraps past 2^64;
 * - alarms: one in the past interrupts at once, one 50 ms ahead interrupts
 *   not before its time (taken through the PLIC, also waking wfi), one
 *   cleared never does, IRQ_ENABLED gates the line and CLEAR_INTERRUPT
 *   lowers it;
 * - accesses as QEMU's device takes them: 1- and 2-byte ones and any past
 *   its 0x24 bytes of registers are access faults (the tree's 0x1000 is
 *   the map's slot); an 8-byte one is two 4-byte ones, low address first;
 *   offset 0x20 (no register) reads 0. */
#include <string.h>
#include "../lib/guest.h"

#define RTC 0x101000UL
#define RTC_IRQ 11
#define TIME_LOW 0x00
#define TIME_HIGH 0x04
#define ALARM_LOW 0x08
#define ALARM_HIGH 0x0c
#define IRQ_ENABLED 0x10
#define CLEAR_ALARM 0x14
#define ALARM_STATUS 0x18
#define CLEAR_INTERRUPT 0x1c
#define PLIC 0x0c000000UL
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_STORE_ACCESS 7
#define SEC 1000000000ULL
#define MS 1000000ULL
#define Y2024 (1704067200ULL * SEC)
#define Y2030 (1893456000ULL * SEC)
#define Y2100 (4102444800ULL * SEC)

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(RTC + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(RTC + off) = v; }

static uint64_t rtc_now(void)
{
    uint32_t low = rd(TIME_LOW);
    return (uint64_t)rd(TIME_HIGH) << 32 | low;
}

static void rtc_set(uint64_t t)
{
    wr(TIME_HIGH, (uint32_t)(t >> 32));
    wr(TIME_LOW, (uint32_t)t);
}

static void rtc_alarm(uint64_t t)
{
    wr(ALARM_HIGH, (uint32_t)(t >> 32));
    wr(ALARM_LOW, (uint32_t)t);
}

/* --- the device tree, walked by hand (devicetree specification 5.4) --- */

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Property prop of the first node whose compatible list holds compat (or,
 * compat NULL, of the node named name at depth 2); NULL if none. */
static const uint8_t *dt_prop(const char *compat, const char *name, const char *prop, uint32_t *len)
{
    const uint8_t *dt = (const uint8_t *)guest_dt;
    if (!dt || be32(dt) != 0xd00dfeedu)
        return NULL;
    const uint8_t *p = dt + be32(dt + 8), *end = p + be32(dt + 36);
    const char *strings = (const char *)dt + be32(dt + 12);
    /* Each node's properties come before its children: remember the
     * wanted property of the node being read until its compatible shows. */
    const uint8_t *found = NULL;
    uint32_t found_len = 0;
    int depth = 0, match = 0;
    while (p + 4 <= end) {
        uint32_t token = be32(p);
        p += 4;
        if (token == 1) {
            const char *node = (const char *)p;
            if (match && found)
                break;          /* its properties are all read: children follow */
            depth++;
            found = NULL;
            match = !compat && depth == 2 && !strcmp(node, name);
            p += (strlen(node) + 4) & ~3UL;
        } else if (token == 2) {
            if (match && found)
                break;
            depth--;
            found = NULL;
            match = 0;
        } else if (token == 3) {
            uint32_t plen = be32(p), nameoff = be32(p + 4);
            const char *pname = strings + nameoff, *val = (const char *)p + 8;
            if (compat && !strcmp(pname, "compatible"))
                for (const char *c = val; c < val + plen; c += strlen(c) + 1)
                    if (!strcmp(c, compat))
                        match = 1;
            if (!strcmp(pname, prop)) {
                found = (const uint8_t *)val;
                found_len = plen;
            }
            p += 8 + ((plen + 3) & ~3UL);
        } else if (token != 4) {
            break;
        }
    }
    if (!match || !found)
        return NULL;
    if (len)
        *len = found_len;
    return found;
}

static uint64_t timebase_hz;
static unsigned plic_context;       /* hart 0's S-mode context */

static uint64_t ticks_to_ns(uint64_t ticks) { return ticks / timebase_hz * SEC + ticks % timebase_hz * SEC / timebase_hz; }

static void wait_ns(uint64_t ns)
{
    uint64_t start = csr_read(time);
    while (ticks_to_ns(csr_read(time) - start) < ns)
        ;
}

static void dt_checks(void)
{
    uint32_t len = 0;
    const uint8_t *tb = dt_prop(NULL, "cpus", "timebase-frequency", &len);
    timebase_hz = tb && len == 4 ? be32(tb) : 10000000;
    const uint8_t *reg = dt_prop("google,goldfish-rtc", NULL, "reg", &len);
    uint64_t base = 0, size = 0;
    if (reg && len == 16) {
        base = (uint64_t)be32(reg) << 32 | be32(reg + 4);
        size = (uint64_t)be32(reg + 8) << 32 | be32(reg + 12);
    }
    const uint8_t *irq = dt_prop("google,goldfish-rtc", NULL, "interrupts", &len);
    uint32_t source = irq && len == 4 ? be32(irq) : 0;
    const uint8_t *parent = dt_prop("google,goldfish-rtc", NULL, "interrupt-parent", NULL);
    const uint8_t *plic_phandle = dt_prop("riscv,plic0", NULL, "phandle", NULL);
    bool on_plic = parent && plic_phandle && be32(parent) == be32(plic_phandle);
    gprintf("case dt_node: reg 0x%lx+0x%lx interrupts %u on the plic %d\n", (unsigned long)base,
            (unsigned long)size, source, on_plic);
    CHECK(base == RTC && size == 0x1000 && source == RTC_IRQ && on_plic);
    /* Hart 0's S-mode context: the first (its cpu-intc, 9) pair. */
    const uint8_t *ext = dt_prop("riscv,plic0", NULL, "interrupts-extended", &len);
    plic_context = ~0u;
    for (uint32_t i = 0; ext && i + 8 <= len; i += 8)
        if (be32(ext + i + 4) == IRQ_SEI) {
            plic_context = i / 8;
            break;
        }
    gprintf("case plic_s_context: found %d\n", plic_context != ~0u);
    CHECK(plic_context != ~0u);
}

/* --- the time --- */

static void time_checks(void)
{
    /* Each RTC read between two time-CSR reads: a host that stalls the
     * guest anywhere only widens the window the RTC's elapsed time must
     * fall in. */
    uint64_t c1a = csr_read(time), t1 = rtc_now(), c1b = csr_read(time);
    wait_ns(200 * MS);
    uint64_t c2a = csr_read(time), t2 = rtc_now(), c2b = csr_read(time);
    uint64_t rtc_elapsed = t2 - t1, shortest = ticks_to_ns(c2a - c1b), longest = ticks_to_ns(c2b - c1a);
    gprintf("case time_plausible: after 2024 %d before 2100 %d\n", t1 >= Y2024, t1 < Y2100);
    CHECK(t1 >= Y2024 && t1 < Y2100);
    /* Natively the RTC follows the host's clock, the time CSR QEMU's
     * virtual one: close, not equal (10%, and 1 ms for the RTC's reads). */
    bool forward = t2 > t1;
    bool rate = rtc_elapsed + MS >= shortest - shortest / 10 && rtc_elapsed <= longest + longest / 10 + MS;
    gprintf("case time_forward: %d at the time CSR's rate %d\n", forward, rate);
    CHECK(forward && rate);

    /* The low half carries 1 s after this: TIME_LOW latches the high
     * half of its instant, TIME_HIGH returns it even after the carry. */
    rtc_set(0x500000000ULL - 1000 * MS);
    uint32_t low = rd(TIME_LOW);
    wait_ns(1200 * MS);
    uint32_t high = rd(TIME_HIGH), high_again = rd(TIME_HIGH);
    uint32_t low2 = rd(TIME_LOW), high2 = rd(TIME_HIGH);
    gprintf("case latch: low before the carry %d, high %u %u; after it low small %d high %u\n",
            low >= 0xffffffffu - 1000 * MS, high, high_again, low2 < 4000 * MS, high2);
    CHECK(high == 4 && high_again == 4 && high2 == 5);

    /* Set (high half, then low: Linux's order) and read back. */
    rtc_set(Y2030);
    uint64_t back = rtc_now();
    gprintf("case set_readback: within 5 s of what was set %d\n", back >= Y2030 && back < Y2030 + 5 * SEC);
    CHECK(back >= Y2030 && back < Y2030 + 5 * SEC);
    /* Only the low half. */
    wr(TIME_LOW, 0);
    back = rtc_now();
    bool kept = back >> 32 == Y2030 >> 32 && (uint32_t)back < 4000 * MS;
    gprintf("case set_low_half: high half kept %d\n", kept);
    CHECK(kept);
    /* 64 bits, modulo 2^64. */
    rtc_set(~0ULL - 50 * MS);
    wait_ns(100 * MS);
    back = rtc_now();
    gprintf("case wrap: past 2^64 to a small count %d\n", back < 5 * SEC);
    CHECK(back < 5 * SEC);
    rtc_set(Y2030);
}

/* --- widths and offsets --- */

static unsigned long faults(void (*access)(void))
{
    int before = last_trap.count;
    trap_skip = 1;
    access();
    return last_trap.count == before ? 0 : (unsigned long)last_trap.scause;
}

static void load_byte(void) { (void)*(volatile uint8_t *)RTC; }
static void load_half(void) { (void)*(volatile uint16_t *)(RTC + ALARM_STATUS); }
static void store_byte(void) { *(volatile uint8_t *)(RTC + IRQ_ENABLED) = 1; }
static void store_half(void) { *(volatile uint16_t *)(RTC + TIME_HIGH) = 0; }
static void load_past(void) { (void)*(volatile uint32_t *)(RTC + 0x24); }
static void load_last(void) { (void)*(volatile uint32_t *)(RTC + 0xffc); }
static void load_double_past(void) { (void)*(volatile uint64_t *)(RTC + 0x20); }
static void store_past(void) { *(volatile uint32_t *)(RTC + 0x800) = 1; }
static void store_double_past(void) { *(volatile uint64_t *)(RTC + 0x20) = 1; }

static void access_checks(void)
{
    unsigned long lb = faults(load_byte), lh = faults(load_half);
    unsigned long sb = faults(store_byte), sh = faults(store_half);
    gprintf("case narrow: lb %lu lh %lu sb %lu sh %lu\n", lb, lh, sb, sh);
    CHECK(lb == CAUSE_LOAD_ACCESS && lh == CAUSE_LOAD_ACCESS);
    CHECK(sb == CAUSE_STORE_ACCESS && sh == CAUSE_STORE_ACCESS);
    unsigned long p1 = faults(load_past), p2 = faults(load_last), p3 = faults(load_double_past);
    unsigned long p4 = faults(store_past), p5 = faults(store_double_past);
    gprintf("case past_the_registers: lw 0x24 %lu lw 0xffc %lu ld 0x20 %lu sw 0x800 %lu sd 0x20 %lu\n",
            p1, p2, p3, p4, p5);
    CHECK(p1 == CAUSE_LOAD_ACCESS && p2 == CAUSE_LOAD_ACCESS && p3 == CAUSE_LOAD_ACCESS);
    CHECK(p4 == CAUSE_STORE_ACCESS && p5 == CAUSE_STORE_ACCESS);
    /* The refused stores changed nothing. */
    uint64_t t = rtc_now();
    bool kept = t >= Y2030 && t < Y2030 + 20 * SEC;
    gprintf("case refused_stores_ignored: irq_enabled %u status %u time kept %d\n", rd(IRQ_ENABLED),
            rd(ALARM_STATUS), kept);
    CHECK(!rd(IRQ_ENABLED) && kept);
    wr(0x20, 0xffffffff);
    gprintf("case other_offsets: 0x20 %u clear_alarm %u clear_interrupt %u\n", rd(0x20),
            rd(CLEAR_ALARM), rd(CLEAR_INTERRUPT));
    CHECK(!rd(0x20) && !rd(CLEAR_ALARM) && !rd(CLEAR_INTERRUPT));

    /* 8 bytes: TIME_LOW then TIME_HIGH (one instant); a store sets both. */
    int before = last_trap.count;
    uint64_t t64 = *(volatile uint64_t *)RTC;
    *(volatile uint64_t *)RTC = 0x0000000700000005ULL;
    uint64_t back = *(volatile uint64_t *)RTC;
    bool near = back >= 0x700000005ULL && back < 0x700000005ULL + 4000 * MS;
    gprintf("case doubleword_time: traps %d, time kept %d, set 0x7_00000005 reads it %d\n",
            last_trap.count - before, t64 >= Y2030 && t64 < Y2030 + 20 * SEC, near);
    CHECK(last_trap.count == before && near);
    /* ALARM_LOW then ALARM_HIGH: the low half arms with the old high half
     * (0: long past, it fires), the high half only stores. */
    wr(ALARM_HIGH, 0);
    *(volatile uint64_t *)(RTC + ALARM_LOW) = 0xffffffff00000001ULL;
    uint64_t alarm = *(volatile uint64_t *)(RTC + ALARM_LOW);
    gprintf("case doubleword_alarm: reads 0x%lx, status %u\n", (unsigned long)alarm, rd(ALARM_STATUS));
    CHECK(alarm == 0xffffffff00000001ULL && rd(ALARM_STATUS) == 0);
    wr(CLEAR_INTERRUPT, 1);
    rtc_set(Y2030);
}

/* --- alarms and the interrupt --- */

static volatile int rtc_irqs, other_irqs;
static volatile uint32_t claimed;
static volatile uint64_t irq_rtc_time;

static void irq_hook(void)
{
    if ((long)last_trap.scause >= 0)
        return;
    if ((last_trap.scause & 63) != IRQ_SEI) {
        other_irqs++;
        return;
    }
    volatile uint32_t *claim = (volatile uint32_t *)(PLIC + 0x200004 + 0x1000UL * plic_context);
    uint32_t source = *claim;
    claimed = source;
    if (source == RTC_IRQ) {
        irq_rtc_time = rtc_now();
        wr(CLEAR_INTERRUPT, 1);
        rtc_irqs++;
    }
    if (source)
        *claim = source;
}

static void plic_setup(void)
{
    *(volatile uint32_t *)(PLIC + 4 * RTC_IRQ) = 1;
    *(volatile uint32_t *)(PLIC + 0x2000 + 0x80UL * plic_context) = 1u << RTC_IRQ;
    *(volatile uint32_t *)(PLIC + 0x200000 + 0x1000UL * plic_context) = 0;
}

/* Lets interrupts in for up to max_ns, until n RTC interrupts came. */
static void take_irqs(int n, uint64_t max_ns)
{
    uint64_t start = csr_read(time);
    csr_set(sie, SIP_SEIP);
    csr_set(sstatus, SSTATUS_SIE);
    while (rtc_irqs < n && ticks_to_ns(csr_read(time) - start) < max_ns)
        csr_set(sie, SIP_SEIP);     /* the handler masks it after each */
    csr_clear(sstatus, SSTATUS_SIE);
    csr_clear(sie, SIP_SEIP);
}

static void alarm_checks(void)
{
    plic_setup();
    trap_hook = irq_hook;

    /* In the past, the line disabled: pending, no interrupt, not armed. */
    wr(IRQ_ENABLED, 0);
    rtc_alarm(0);
    unsigned status = rd(ALARM_STATUS);
    take_irqs(1, 50 * MS);
    int while_disabled = rtc_irqs;
    wr(IRQ_ENABLED, 1);
    take_irqs(1, 500 * MS);
    gprintf("case alarm_past: status %u, interrupts while disabled %d, once enabled %d (source %u)\n",
            status, while_disabled, rtc_irqs, claimed);
    CHECK(status == 0 && while_disabled == 0 && rtc_irqs == 1 && claimed == RTC_IRQ);
    /* CLEAR_INTERRUPT in the handler lowered the line: no second one. */
    take_irqs(2, 50 * MS);
    gprintf("case cleared_once: interrupts %d\n", rtc_irqs);
    CHECK(rtc_irqs == 1);

    /* 50 ms ahead: armed, then the interrupt, not before its time. */
    uint64_t at = rtc_now() + 50 * MS;
    rtc_alarm(at);
    unsigned armed = rd(ALARM_STATUS);
    uint32_t alarm_low = rd(ALARM_LOW), alarm_high = rd(ALARM_HIGH);
    take_irqs(2, 5 * SEC);
    gprintf("case alarm_future: armed %u reads back %d, interrupts %d, not early %d, status after %u\n",
            armed, ((uint64_t)alarm_high << 32 | alarm_low) == at, rtc_irqs, irq_rtc_time >= at,
            rd(ALARM_STATUS));
    CHECK(armed == 1 && rtc_irqs == 2 && irq_rtc_time >= at && rd(ALARM_STATUS) == 0);

    /* Armed, then cleared: no interrupt (1 s ahead: a host that stalls
     * the guest between the two writes must not let it fire first). */
    rtc_alarm(rtc_now() + SEC);
    wr(CLEAR_ALARM, 1);
    unsigned cleared = rd(ALARM_STATUS);
    take_irqs(3, 1500 * MS);
    gprintf("case clear_alarm: status %u, interrupts %d\n", cleared, rtc_irqs);
    CHECK(cleared == 0 && rtc_irqs == 2);

    /* A guest waiting in wfi (interrupts masked by SIE, enabled in sie)
     * wakes when the alarm comes; a timer 5 s ahead in case it never does. */
    at = rtc_now() + 30 * MS;
    rtc_alarm(at);
    sbi_set_timer(csr_read(time) + 5 * timebase_hz);
    csr_write(sie, SIP_SEIP | SIP_STIP);
    int wakes = 0;
    while (!(csr_read(sip) & (SIP_SEIP | SIP_STIP)) && wakes < 1000000) {
        __asm__ volatile("wfi" ::: "memory");
        wakes++;
    }
    bool seip = csr_read(sip) & SIP_SEIP;
    uint64_t woke = rtc_now();
    sbi_set_timer(~0UL);
    csr_clear(sie, SIP_STIP);
    take_irqs(3, 500 * MS);
    /* Woken by the alarm, not by the backup timer 5 s on. */
    bool prompt = woke < at + 2 * SEC;
    gprintf("case wfi_wakes: by the alarm %d, not early %d, within 2 s %d, interrupts %d\n", seip,
            woke >= at, prompt, rtc_irqs);
    CHECK(seip && woke >= at && prompt && rtc_irqs == 3);

    /* Set the time back 1 h after arming: the alarm keeps its instant
     * (QEMU's timer keeps its expiry), it does not wait an hour. */
    at = rtc_now() + 50 * MS;
    rtc_alarm(at);
    rtc_set(at - 3600 * SEC);
    take_irqs(4, 5 * SEC);
    gprintf("case alarm_after_set_time: interrupts %d, count then about an hour back %d\n", rtc_irqs,
            irq_rtc_time < at - 3000 * SEC);
    CHECK(rtc_irqs == 4);

    trap_hook = NULL;
    gprintf("case other_interrupts: %d\n", other_irqs);
    CHECK(other_irqs == 0);
}

int guest_main(void)
{
    gprintf("=== begin: rtc ===\n");
    dt_checks();
    time_checks();
    access_checks();
    alarm_checks();
    if (failures)
        return failures;
    gprintf("=== end: PASS ===\n");
    return 0;
}
