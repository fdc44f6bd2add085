/* The board's PLIC, lodger's side (host_plic.h). Register layout: the
 * RISC-V PLIC specification (priorities at 4*source, enables at 0x2000 +
 * 0x80*context, threshold and claim/complete at 0x200000 + 0x1000*context). */
#include "drivers/host_plic.h"
#include "core/mem.h"
#include "core/hart.h"
#include "core/console.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"

#define PRIORITY(src) (4u * (src))
#define ENABLE(ctx, src) (0x2000u + 0x80u * (ctx) + 4u * ((src) / 32))
#define THRESHOLD(ctx) (0x200000u + 0x1000u * (ctx))
#define CLAIM(ctx) (0x200004u + 0x1000u * (ctx))

#define ROUTED_PRIORITY 1u
#define OWNED_PRIORITY 2u     /* above the threshold a waiting hart sets */
#define MAX_ROUTED 4

static int context_of[HOST_MAX_HARTS];      /* per lodger hart index; -1: none */
static struct { uint32_t irq; void (*handler)(void *); void *ctx; } routed[MAX_ROUTED];
static unsigned routed_count;

static volatile uint32_t *reg(uint64_t offset)
{
    return (volatile uint32_t *)(uintptr_t)(host.plic.base + offset);
}

static void write_reg(uint64_t offset, uint32_t v)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
    *reg(offset) = v;
}

static uint32_t read_reg(uint64_t offset)
{
    uint32_t v = *reg(offset);
    __asm__ volatile("fence iorw, iorw" ::: "memory");
    return v;
}

static void enable(int ctx, uint32_t irq, bool on)
{
    uint32_t bit = 1u << (irq % 32), word = read_reg(ENABLE(ctx, irq));
    write_reg(ENABLE(ctx, irq), on ? word | bit : word & ~bit);
}

void host_plic_init(void)
{
    for (int i = 0; i < HOST_MAX_HARTS; i++)
        context_of[i] = -1;
    if (!host.plic.size)
        return;
    for (int i = 0; i < hart_count; i++)
        for (int k = 0; k < host.hart_count; k++)
            if (host.harts[k].hartid == harts[i].hartid)
                context_of[i] = host.harts[k].plic_context;
    for (int i = 0; i < hart_count; i++)
        if (context_of[i] >= 0)
            write_reg(THRESHOLD(context_of[i]), 0);
}

static int this_context(void)
{
    return context_of[this_hart()->index];
}

bool host_plic_usable(uint32_t irq)
{
    return host.plic.size && irq && irq <= host.plic.ndev && context_of[0] >= 0;
}

bool host_plic_route(uint32_t irq, void (*handler)(void *ctx), void *ctx)
{
    if (!host_plic_usable(irq) || routed_count == MAX_ROUTED)
        return false;
    routed[routed_count].irq = irq;
    routed[routed_count].ctx = ctx;
    __atomic_store_n(&routed[routed_count].handler, handler, __ATOMIC_RELEASE);
    routed_count++;
    write_reg(PRIORITY(irq), ROUTED_PRIORITY);
    enable(context_of[0], irq, true);
    return true;
}

void host_plic_serve(void)
{
    int ctx = this_context();
    if (ctx < 0)
        return;
    uint32_t irq;
    while ((irq = read_reg(CLAIM(ctx))) != 0) {
        for (unsigned i = 0; i < routed_count; i++)
            if (routed[i].irq == irq)
                routed[i].handler(routed[i].ctx);
        write_reg(CLAIM(ctx), irq);
    }
}

bool host_plic_own(uint32_t irq)
{
    if (!host.plic.size || !irq || irq > host.plic.ndev)
        return false;
    write_reg(PRIORITY(irq), OWNED_PRIORITY);
    return true;
}

bool host_plic_can_wait(uint32_t irq)
{
    return host.plic.size && irq && irq <= host.plic.ndev && this_context() >= 0;
}

void host_plic_wait_begin(uint32_t irq)
{
    int ctx = this_context();
    write_reg(THRESHOLD(ctx), ROUTED_PRIORITY);
    enable(ctx, irq, true);
}

void host_plic_wait_clear(uint32_t irq)
{
    int ctx = this_context();
    uint32_t got;
    /* Only irq is above the threshold; anything else would be a PLIC
     * that does not follow its rules: completed all the same. */
    while ((got = read_reg(CLAIM(ctx))) != 0)
        write_reg(CLAIM(ctx), got);
    (void)irq;
}

void host_plic_wait_end(uint32_t irq)
{
    int ctx = this_context();
    enable(ctx, irq, false);
    write_reg(THRESHOLD(ctx), 0);
}
