#include "dev/board.h"
#include "core/vm.h"
#include "core/console.h"
#include "core/mem.h"
#include "sbi/firmware.h"
#include "arch/riscv/csr.h"

/* Called with the board's lock held: a panic line starts the grace period
 * (the host timer is set for it on resume), its closing line ends it. */
static void watch_for_panic(struct vm *vm, struct guest_panic *watch, char c)
{
    struct board *b = &vm->board;
    switch (guest_panic_feed(watch, c)) {
    case GUEST_PANIC_STARTED:
        if (!b->panic_reason) {
            b->panic_reason = watch->reason;
            uint64_t grace = host.timebase_hz * BOARD_PANIC_GRACE_MS / 1000;
            __atomic_store_n(&b->panic_deadline, csr_read(CSR_TIME) + grace, __ATOMIC_RELEASE);
        }
        break;
    case GUEST_PANIC_ENDED:
        if (b->panic_reason == watch->reason)
            __atomic_store_n(&b->panic_deadline, 0, __ATOMIC_RELEASE);
        break;
    default:
        break;
    }
}

static void uart_output(void *ctx, char c)
{
    console_write(&c, 1);
    watch_for_panic(ctx, &((struct vm *)ctx)->board.uart_panic, c);
}

void board_sbi_console_write(struct vm *vm, const char *s, unsigned long len)
{
    console_write(s, len);
    spin_lock(&vm->board.lock);
    for (unsigned long i = 0; i < len; i++)
        watch_for_panic(vm, &vm->board.sbi_panic, s[i]);
    spin_unlock(&vm->board.lock);
}

void board_update_interrupts(struct vm *vm)
{
    struct board *b = &vm->board;
    plic_set_level(&b->plic, BOARD_UART_IRQ, uart_irq_pending(&b->uart));
    for (int i = 0; i < vm->vcpu_count; i++)
        b->external_line(vm, (unsigned)i, plic_context_pending(&b->plic, (unsigned)i));
}

static bool uart_mmio_read(struct vm *vm, uint64_t offset, unsigned width, uint64_t *value)
{
    (void)width;    /* byte registers; wider reads return the byte */
    spin_lock(&vm->board.lock);
    vm->board.uart_used = true;
    *value = offset < 8 ? uart_read(&vm->board.uart, (unsigned)offset) : 0;
    board_update_interrupts(vm);
    spin_unlock(&vm->board.lock);
    return true;
}

static bool uart_mmio_write(struct vm *vm, uint64_t offset, unsigned width, uint64_t value)
{
    (void)width;
    spin_lock(&vm->board.lock);
    vm->board.uart_used = true;
    if (offset < 8)
        uart_write(&vm->board.uart, (unsigned)offset, (uint8_t)value);
    board_update_interrupts(vm);
    spin_unlock(&vm->board.lock);
    return true;
}

/* PLIC registers are 32-bit; other widths are not allowed (spec 1.0.0, ch. 2). */
static bool plic_mmio_read(struct vm *vm, uint64_t offset, unsigned width, uint64_t *value)
{
    if (width != 4)
        return false;
    spin_lock(&vm->board.lock);
    *value = plic_read(&vm->board.plic, offset);
    board_update_interrupts(vm);
    spin_unlock(&vm->board.lock);
    return true;
}

static bool plic_mmio_write(struct vm *vm, uint64_t offset, unsigned width, uint64_t value)
{
    if (width != 4)
        return false;
    spin_lock(&vm->board.lock);
    plic_write(&vm->board.plic, offset, (uint32_t)value);
    board_update_interrupts(vm);
    spin_unlock(&vm->board.lock);
    return true;
}

static const struct mmio_region regions[] = {
    { BOARD_PLIC_BASE, PLIC_MMIO_SIZE, "plic", plic_mmio_read, plic_mmio_write },
    { BOARD_UART_BASE, UART_MMIO_SIZE, "uart", uart_mmio_read, uart_mmio_write },
};

const struct mmio_region *board_find_region(uint64_t gpa)
{
    for (unsigned i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
        if (gpa >= regions[i].base && gpa - regions[i].base < regions[i].size)
            return &regions[i];
    return 0;
}

void board_init(struct vm *vm)
{
    struct board *b = &vm->board;
    b->uart.output = uart_output;
    b->uart.output_ctx = vm;
    uart_reset(&b->uart);
    plic_reset(&b->plic, (unsigned)vm->vcpu_count);
    b->uart_used = false;
    guest_panic_reset(&b->uart_panic);
    guest_panic_reset(&b->sbi_panic);
    b->panic_reason = 0;
    b->panic_deadline = UINT64_MAX;
}

void board_poll_input(struct vm *vm)
{
    struct board *b = &vm->board;
    spin_lock(&b->lock);
    bool got = false;
    while (uart_rx_space(&b->uart)) {
        int c = firmware_getchar();
        if (c < 0)
            break;
        uart_receive(&b->uart, (uint8_t)c);
        got = true;
    }
    if (got)
        board_update_interrupts(vm);
    spin_unlock(&b->lock);
}
