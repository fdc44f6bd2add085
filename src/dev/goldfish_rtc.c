/* The Goldfish RTC's registers (dev/goldfish_rtc.h), as QEMU's
 * hw/rtc/goldfish_rtc.c behaves and Linux's rtc-goldfish drives them:
 * - the count is read TIME_LOW first, which latches the high half that
 *   TIME_HIGH then returns (so the two halves are of one instant); a write
 *   of either half replaces that half of the count at once (Linux writes
 *   TIME_HIGH, then TIME_LOW), moving the offset, modulo 2^64;
 * - ALARM_HIGH only stores; ALARM_LOW stores and arms: an alarm not after
 *   the count fires at once, else at the clock time alarm - offset,
 *   which a later change of the count does not move (QEMU's timer keeps
 *   its expiry); a time QEMU's signed timer reads as negative is 0 there:
 *   it fires at the next expiry check;
 * - firing disarms it and makes the interrupt pending; IRQ_ENABLED gates
 *   the line, CLEAR_INTERRUPT ends the pending state, CLEAR_ALARM disarms
 *   without touching a pending interrupt.
 * QEMU's region is 0x24 bytes (virt's tree says 0x1000): past it an access
 * is a bus error. Its ops take 4-byte accesses (.valid); an aligned 8-byte
 * one arrives as two, low address first (seen on QEMU 7.2 and 10: a
 * 64-bit store to ALARM_LOW arms with the old high half, then stores the
 * new one), and 1- or 2-byte ones are bus errors.
 * Pure: the caller says what time it is. */
#include "dev/goldfish_rtc.h"

void goldfish_rtc_reset(struct goldfish_rtc *r)
{
    *r = (struct goldfish_rtc){ .offset = r->offset };
}

static uint64_t count(const struct goldfish_rtc *r, uint64_t now)
{
    return now + r->offset;
}

static void fire(struct goldfish_rtc *r)
{
    r->alarm_running = false;
    r->irq_pending = true;
}

static void set_alarm(struct goldfish_rtc *r, uint64_t now)
{
    if (r->alarm_next <= count(r, now)) {
        fire(r);
        return;
    }
    uint64_t at = r->alarm_next - r->offset;
    r->alarm_at = (int64_t)at < 0 ? 0 : at;
    r->alarm_running = true;
}

uint32_t goldfish_rtc_read(struct goldfish_rtc *r, uint64_t now, uint64_t offset)
{
    switch (offset) {
    case GOLDFISH_RTC_TIME_LOW: {
        uint64_t c = count(r, now);
        r->time_high = (uint32_t)(c >> 32);
        return (uint32_t)c;
    }
    case GOLDFISH_RTC_TIME_HIGH:
        return r->time_high;
    case GOLDFISH_RTC_ALARM_LOW:
        return (uint32_t)r->alarm_next;
    case GOLDFISH_RTC_ALARM_HIGH:
        return (uint32_t)(r->alarm_next >> 32);
    case GOLDFISH_RTC_IRQ_ENABLED:
        return r->irq_enabled;
    case GOLDFISH_RTC_ALARM_STATUS:
        return r->alarm_running;
    default:
        return 0;
    }
}

void goldfish_rtc_write(struct goldfish_rtc *r, uint64_t now, uint64_t offset, uint32_t value)
{
    uint64_t c = count(r, now);
    switch (offset) {
    case GOLDFISH_RTC_TIME_LOW:
        r->offset += ((c & ~0xffffffffULL) | value) - c;
        break;
    case GOLDFISH_RTC_TIME_HIGH:
        r->offset += ((c & 0xffffffffULL) | (uint64_t)value << 32) - c;
        break;
    case GOLDFISH_RTC_ALARM_LOW:
        r->alarm_next = (r->alarm_next & ~0xffffffffULL) | value;
        set_alarm(r, now);
        break;
    case GOLDFISH_RTC_ALARM_HIGH:
        r->alarm_next = (r->alarm_next & 0xffffffffULL) | (uint64_t)value << 32;
        break;
    case GOLDFISH_RTC_IRQ_ENABLED:
        r->irq_enabled = value & 1;
        break;
    case GOLDFISH_RTC_CLEAR_ALARM:
        r->alarm_running = false;
        break;
    case GOLDFISH_RTC_CLEAR_INTERRUPT:
        r->irq_pending = false;
        break;
    default:
        break;
    }
}

static bool access_ok(uint64_t offset, unsigned width)
{
    return (width == 4 || width == 8) && offset < GOLDFISH_RTC_REGS_SIZE &&
           width <= GOLDFISH_RTC_REGS_SIZE - offset;
}

bool goldfish_rtc_load(struct goldfish_rtc *r, uint64_t now, uint64_t offset, unsigned width,
                       uint64_t *value)
{
    if (!access_ok(offset, width))
        return false;
    *value = goldfish_rtc_read(r, now, offset);
    if (width == 8)
        *value |= (uint64_t)goldfish_rtc_read(r, now, offset + 4) << 32;
    return true;
}

bool goldfish_rtc_store(struct goldfish_rtc *r, uint64_t now, uint64_t offset, unsigned width,
                        uint64_t value)
{
    if (!access_ok(offset, width))
        return false;
    goldfish_rtc_write(r, now, offset, (uint32_t)value);
    if (width == 8)
        goldfish_rtc_write(r, now, offset + 4, (uint32_t)(value >> 32));
    return true;
}

void goldfish_rtc_expire(struct goldfish_rtc *r, uint64_t now)
{
    if (r->alarm_running && now >= r->alarm_at)
        fire(r);
}

bool goldfish_rtc_irq(const struct goldfish_rtc *r)
{
    return r->irq_pending && r->irq_enabled;
}
