/* Where lodger's clock (core/wallclock.h) starts: the board's Goldfish RTC
 * (QEMU virt's, at 0x101000), read once at boot, TIME_LOW first (it
 * latches the high half TIME_HIGH returns: one instant), beside the `time`
 * CSR; afterwards the time CSR keeps the time. Called before lodger's own
 * page table is on, so the registers are reached at their physical
 * address, as the test finisher is then. A board without one lodger
 * knows starts the clock at 0 (1970), and says so. */
#include "drivers/drivers.h"
#include "core/mem.h"
#include "core/wallclock.h"
#include "core/console.h"
#include "dev/goldfish_rtc.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"

void host_rtc_init(void)
{
    uint64_t ns = 0, ticks = csr_read(CSR_TIME);
    if (host.rtc) {
        volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)host.rtc;
        ticks = csr_read(CSR_TIME);
        uint32_t low = regs[GOLDFISH_RTC_TIME_LOW / 4];
        uint32_t high = regs[GOLDFISH_RTC_TIME_HIGH / 4];
        ns = (uint64_t)high << 32 | low;
    }
    wallclock_set(&wallclock, ns, ticks, host.timebase_hz, host.rtc != 0);
}

void host_rtc_print(void)
{
    char when[32];
    wallclock_format(wallclock_ns(&wallclock, csr_read(CSR_TIME)), when, sizeof(when));
    if (wallclock.from_board)
        console_printf("lodger: clock: %s UTC, from the board's RTC (google,goldfish-rtc at 0x%lx)\n",
                       when, (unsigned long)host.rtc);
    else
        console_printf("lodger: clock: the board has no RTC lodger reads (google,goldfish-rtc): "
                       "it starts at 0, %s UTC; VMs' clocks count from there\n", when);
}
