/* Each VM's real-time clock: the Goldfish RTC (dev/goldfish_rtc.c's
 * registers) where QEMU virt has it, 0x101000 on line 11, counting from
 * lodger's clock (core/wallclock.h) with the VM's own offset, so a guest
 * that sets its clock moves only its own, and keeps it across the VM's
 * reboots (not across lodger's: lodger keeps no state). The armed alarm is a board
 * deadline (board_set_deadline): the hart that serves the VM takes a host
 * timer interrupt then, and the line rises on the VM's PLIC. */
#include <libfdt.h>
#include "dev/board.h"
#include "dev/goldfish_rtc.h"
#include "core/vm.h"
#include "core/wallclock.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"

#define GOLDFISH_RTC_BASE 0x101000UL
#define GOLDFISH_RTC_IRQ 11

/* The line and the alarm's deadline follow the registers (lock held). */
static void update(struct device *d, uint64_t ticks)
{
    struct goldfish_rtc *r = d->state;
    board_set_irq(d->vm, d->irq, goldfish_rtc_irq(r));
    board_set_deadline(d, r->alarm_running ? wallclock_ticks_until(&wallclock, ticks, r->alarm_at)
                                           : UINT64_MAX);
}

/* What QEMU's device refuses (goldfish_rtc_load) is a bus error there, an
 * access fault for the guest. */
static enum dev_status read(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                            uint64_t *value)
{
    (void)v;
    uint64_t now = wallclock_ns(&wallclock, csr_read(CSR_TIME));
    return goldfish_rtc_load(d->state, now, offset, width, value) ? DEV_DONE : DEV_FAULT;
}

static enum dev_status write(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                             uint64_t value)
{
    (void)v;
    uint64_t ticks = csr_read(CSR_TIME);
    if (!goldfish_rtc_store(d->state, wallclock_ns(&wallclock, ticks), offset, width, value))
        return DEV_FAULT;
    update(d, ticks);
    return DEV_DONE;
}

static void timer(struct device *d, uint64_t now)
{
    goldfish_rtc_expire(d->state, wallclock_ns(&wallclock, now));
    update(d, now);     /* not yet (it cannot be early): armed again */
}

static void reset(struct device *d)
{
    goldfish_rtc_reset(d->state);
    update(d, csr_read(CSR_TIME));
}

static int dt_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    int rc = dev_dt_begin(fdt, d);
    if (!rc)
        rc = fdt_property_string(fdt, "compatible", "google,goldfish-rtc");
    if (!rc)
        rc = dev_dt_interrupts(fdt, d, ctx);
    return rc ? rc : fdt_end_node(fdt);
}

const struct device_model goldfish_rtc_device = {
    .name = "rtc", .base = GOLDFISH_RTC_BASE, .size = GOLDFISH_RTC_MMIO_SIZE,
    .irq = GOLDFISH_RTC_IRQ, .state_size = sizeof(struct goldfish_rtc),
    .read = read, .write = write, .reset = reset, .timer = timer, .dt_node = dt_node,
};
