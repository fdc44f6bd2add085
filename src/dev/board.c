#include <stdio.h>
#include "dev/board.h"
#include "core/vm.h"
#include "core/console.h"
#include "core/mem.h"
#include "io/network.h"
#include "arch/riscv/csr.h"

#define DEVICE(model) extern const struct device_model model;
#include "dev/devices.def"
#undef DEVICE

static const struct device_model *const board_devices[] = {
#define DEVICE(model) &model,
#include "dev/devices.def"
#undef DEVICE
};

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

/* With the board's lock held. */
bool board_console_output(struct vm *vm, char c)
{
    console_vm_write(vm->id, &c, 1, false);
    watch_for_panic(vm, &vm->board.uart_panic, c);
    return console_vm_ready(vm->id);
}

unsigned long board_sbi_console_write(struct vm *vm, const char *s, unsigned long len,
                                      bool may_refuse)
{
    unsigned long n = console_vm_write(vm->id, s, len, may_refuse);
    spin_lock(&vm->board.lock);
    for (unsigned long i = 0; i < n; i++)
        watch_for_panic(vm, &vm->board.sbi_panic, s[i]);
    spin_unlock(&vm->board.lock);
    return n;
}

bool board_listening(const struct vm *vm)
{
    return vm->board.uart_used || console_multiplexed();
}

void board_update_interrupts(struct vm *vm)
{
    struct board *b = &vm->board;
    struct device *chip = b->irqchip;
    for (int i = 0; i < vm->vcpu_count; i++)
        b->external_line(vm, (unsigned)i, chip && chip->model->pending(chip, (unsigned)i));
}

void board_set_irq(struct vm *vm, unsigned irq, bool high)
{
    struct device *chip = vm->board.irqchip;
    if (!chip || !irq)
        return;
    chip->model->set_irq(chip, irq, high);
    board_update_interrupts(vm);
}

/* With the lock held. */
static void update_device_deadline(struct board *b)
{
    uint64_t earliest = UINT64_MAX;
    for (unsigned i = 0; i < b->devices.count; i++)
        if (b->devices.dev[i].deadline < earliest)
            earliest = b->devices.dev[i].deadline;
    __atomic_store_n(&b->device_deadline, earliest, __ATOMIC_RELEASE);
}

void board_set_deadline(struct device *d, uint64_t when)
{
    d->deadline = d->model->timer ? when : UINT64_MAX;
    update_device_deadline(&d->vm->board);
}

void board_run_timers(struct vm *vm, uint64_t now)
{
    struct board *b = &vm->board;
    if (now < __atomic_load_n(&b->device_deadline, __ATOMIC_ACQUIRE))
        return;
    spin_lock(&b->lock);
    for (unsigned i = 0; i < b->devices.count; i++) {
        struct device *d = &b->devices.dev[i];
        if (d->deadline <= now) {
            d->deadline = UINT64_MAX;
            d->model->timer(d, now);
        }
    }
    update_device_deadline(b);
    spin_unlock(&b->lock);
}

struct device *board_find_region(const struct vm *vm, uint64_t gpa)
{
    return dev_table_find(&vm->board.devices, gpa);
}

enum dev_status board_mmio(struct vcpu *v, uint64_t gpa, unsigned width, bool write,
                           uint64_t *value)
{
    struct board *b = &v->vm->board;
    uint64_t offset;
    struct device *d = dev_table_lookup(&b->devices, gpa, width, &offset);
    if (!d)
        return DEV_FAULT;
    const struct device_model *m = d->model;
    if (write ? !m->write : !m->read)
        return DEV_FAULT;
    spin_lock(&b->lock);
    enum dev_status s = write ? m->write(d, v, offset, width, *value)
                              : m->read(d, v, offset, width, value);
    spin_unlock(&b->lock);
    if (s == DEV_DEFER)
        s = m->deferred ? m->deferred(d, v) : DEV_DONE;
    return s;
}

void board_reset(struct vm *vm)
{
    struct board *b = &vm->board;
    spin_lock(&b->lock);
    b->uart_used = false;
    guest_panic_reset(&b->uart_panic);
    guest_panic_reset(&b->sbi_panic);
    b->panic_reason = 0;
    b->panic_deadline = UINT64_MAX;
    for (unsigned i = 0; i < b->devices.count; i++)
        b->devices.dev[i].deadline = UINT64_MAX;
    for (unsigned i = 0; i < b->devices.count; i++)
        if (b->devices.dev[i].model->reset)
            b->devices.dev[i].model->reset(&b->devices.dev[i]);
    update_device_deadline(b);
    board_update_interrupts(vm);
    spin_unlock(&b->lock);
}

bool board_init(struct vm *vm, char *err, unsigned long errlen)
{
    struct board *b = &vm->board;
    dev_table_clear(&b->devices);
    b->irqchip = b->console = NULL;
    for (unsigned i = 0; i < sizeof(board_devices) / sizeof(board_devices[0]); i++) {
        const struct device_model *m = board_devices[i];
        struct device *d;
        enum dev_add_error e = dev_table_add(&b->devices, m, m->base, m->size, m->irq, &d);
        if (e != DEV_ADD_OK) {
            snprintf(err, errlen, "device %s@%lx: %s", m->name, (unsigned long)m->base,
                     dev_add_error_string(e));
            return false;
        }
        d->vm = vm;
        if (m->setup) {
            int present = m->setup(d, err, errlen);
            if (present == DEV_SETUP_ERROR)
                return false;
            if (present == DEV_SETUP_ABSENT) {
                dev_table_drop_last(&b->devices);
                continue;
            }
        }
        if ((m->flags & DEV_IRQCHIP) && !b->irqchip)
            b->irqchip = d;
        if ((m->flags & DEV_CONSOLE) && !b->console)
            b->console = d;
    }
    board_reset(vm);
    return true;
}

void board_poll_input(struct vm *vm)
{
    struct board *b = &vm->board;
    console_poll();     /* typed input, partial lines due (core/console.h) */
    /* Frames the board's card received, if its interrupt does not bring
     * them (drivers/virtio_net_drv.c: no PLIC route); cheap otherwise. */
    network_poll();
    if (!b->console || !b->console->model->input)
        return;
    spin_lock(&b->lock);
    b->console->model->input(b->console);
    spin_unlock(&b->lock);
}
