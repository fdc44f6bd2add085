/* The Goldfish RTC QEMU virt has ("google,goldfish-rtc", hw/rtc/goldfish_rtc.c;
 * Linux's drivers/rtc/rtc-goldfish.c): a 64-bit count of nanoseconds, a
 * one-shot alarm and an interrupt. The register model, pure and host-tested,
 * takes the time of lodger's clock (core/wallclock.h) as an argument; the
 * device glue (dev/goldfish_rtc.c) gives each VM one at QEMU's place. */
#ifndef LODGER_DEV_GOLDFISH_RTC_H
#define LODGER_DEV_GOLDFISH_RTC_H

#include <stdint.h>
#include <stdbool.h>

#define GOLDFISH_RTC_TIME_LOW        0x00  /* R: the count's low half, latching the high; W: sets it */
#define GOLDFISH_RTC_TIME_HIGH       0x04  /* R: the latched high half; W: sets the count's high half */
#define GOLDFISH_RTC_ALARM_LOW       0x08  /* W: the alarm's low half, and arms it */
#define GOLDFISH_RTC_ALARM_HIGH      0x0c  /* W: the alarm's high half (arms nothing) */
#define GOLDFISH_RTC_IRQ_ENABLED     0x10  /* bit 0: the interrupt reaches the line */
#define GOLDFISH_RTC_CLEAR_ALARM     0x14  /* W: disarms (a pending interrupt stays) */
#define GOLDFISH_RTC_ALARM_STATUS    0x18  /* R: 1 while armed */
#define GOLDFISH_RTC_CLEAR_INTERRUPT 0x1c  /* W: the interrupt is no longer pending */
#define GOLDFISH_RTC_MMIO_SIZE       0x1000  /* its place in the map (QEMU virt's tree) */
#define GOLDFISH_RTC_REGS_SIZE       0x24    /* QEMU's device: beyond, nothing answers */

/* One VM's RTC. Its count is lodger's clock plus offset, modulo 2^64, as
 * QEMU's is its host clock plus tick_offset. */
struct goldfish_rtc {
    uint64_t offset;
    uint64_t alarm_next;        /* ALARM_HIGH:ALARM_LOW as written */
    uint64_t alarm_at;          /* armed: the clock time it fires at */
    uint32_t time_high;         /* latched by the last TIME_LOW read */
    bool alarm_running, irq_pending, irq_enabled;
};

/* As at a reset (a VM's reboot): alarm and interrupt off; the count keeps
 * its offset, as a battery-backed RTC (and QEMU since 10.0, which sets it
 * once at realize) keeps its time. The state starts zeroed: the clock's. */
void goldfish_rtc_reset(struct goldfish_rtc *r);
/* An access of width bytes at offset, as QEMU's device takes them:
 * 4-byte ones; an 8-byte one as two, the low address first (so a 64-bit
 * load of TIME_LOW reads one instant); none reaching past the registers
 * (a bus error there); 1- and 2-byte ones refused. false: refused, nothing
 * done (the guest's access fault). */
bool goldfish_rtc_load(struct goldfish_rtc *r, uint64_t now, uint64_t offset, unsigned width,
                       uint64_t *value);
bool goldfish_rtc_store(struct goldfish_rtc *r, uint64_t now, uint64_t offset, unsigned width,
                        uint64_t value);
/* A 32-bit register read or write at clock time now (ns); offsets with no
 * register read 0 and ignore writes, as on QEMU (0x20 is the one inside
 * its region). */
uint32_t goldfish_rtc_read(struct goldfish_rtc *r, uint64_t now, uint64_t offset);
void goldfish_rtc_write(struct goldfish_rtc *r, uint64_t now, uint64_t offset, uint32_t value);
/* The armed alarm's time came (now at or after alarm_at): it fires. */
void goldfish_rtc_expire(struct goldfish_rtc *r, uint64_t now);
/* The interrupt line: pending and enabled. */
bool goldfish_rtc_irq(const struct goldfish_rtc *r);

#endif
