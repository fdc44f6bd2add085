#include "dev/plic.h"

#define PRIORITY_BASE 0x0
#define PENDING_BASE 0x1000
#define ENABLE_BASE 0x2000
#define ENABLE_STRIDE 0x80
#define CONTEXT_BASE 0x200000
#define CONTEXT_STRIDE 0x1000
#define PRIORITY_MAX 7

void plic_reset(struct plic *p, unsigned contexts)
{
    *p = (struct plic){ .contexts = contexts > PLIC_CONTEXTS ? PLIC_CONTEXTS : contexts };
}

/* A level source is pending while high, unless it is being serviced. */
static void update_pending(struct plic *p)
{
    p->pending = p->level & ~p->claimed & ~1u;
}

void plic_set_level(struct plic *p, unsigned source, bool high)
{
    if (source == 0 || source >= PLIC_SOURCES)
        return;
    if (high)
        p->level |= 1u << source;
    else
        p->level &= ~(1u << source);
    update_pending(p);
}

/* The best source for ctx: highest priority above the threshold, lowest id on ties. */
static unsigned best_source(const struct plic *p, unsigned ctx)
{
    unsigned best = 0;
    uint32_t best_priority = p->threshold[ctx];
    uint32_t candidates = p->pending & p->enable[ctx];
    for (unsigned s = 1; s < PLIC_SOURCES; s++)
        if ((candidates & (1u << s)) && p->priority[s] > best_priority) {
            best = s;
            best_priority = p->priority[s];
        }
    return best;
}

bool plic_context_pending(const struct plic *p, unsigned ctx)
{
    return ctx < p->contexts && best_source(p, ctx) != 0;
}

uint32_t plic_read(struct plic *p, uint64_t offset)
{
    if (offset < PENDING_BASE)
        return offset / 4 < PLIC_SOURCES ? p->priority[offset / 4] : 0;
    if (offset < ENABLE_BASE)
        return offset == PENDING_BASE ? p->pending : 0;
    if (offset < CONTEXT_BASE) {
        uint64_t ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        return ctx < p->contexts && (offset - ENABLE_BASE) % ENABLE_STRIDE == 0 ? p->enable[ctx] : 0;
    }
    uint64_t ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE, reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= p->contexts)
        return 0;
    if (reg == 0)
        return p->threshold[ctx];
    if (reg == 4) {     /* claim */
        unsigned s = best_source(p, (unsigned)ctx);
        if (s) {
            p->claimed |= 1u << s;
            update_pending(p);
        }
        return s;
    }
    return 0;
}

void plic_write(struct plic *p, uint64_t offset, uint32_t value)
{
    if (offset < PENDING_BASE) {
        if (offset / 4 < PLIC_SOURCES && offset / 4 != 0)
            p->priority[offset / 4] = value > PRIORITY_MAX ? PRIORITY_MAX : value;
        return;
    }
    if (offset < ENABLE_BASE)
        return;     /* pending bits are read-only */
    if (offset < CONTEXT_BASE) {
        uint64_t ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        if (ctx < p->contexts && (offset - ENABLE_BASE) % ENABLE_STRIDE == 0)
            p->enable[ctx] = value & ~1u;
        return;
    }
    uint64_t ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE, reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= p->contexts)
        return;
    if (reg == 0) {
        p->threshold[ctx] = value > PRIORITY_MAX ? PRIORITY_MAX : value;
    } else if (reg == 4 && value < PLIC_SOURCES) {
        /* Completion of a source not enabled for this context is ignored (spec 9). */
        if (p->enable[ctx] & (1u << value)) {
            p->claimed &= ~(1u << value);
            update_pending(p);
        }
    }
}
