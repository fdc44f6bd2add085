#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "dev/device.h"

void dev_table_clear(struct dev_table *t)
{
    memset(t, 0, sizeof(*t));
}

/* [a, a + as) and [b, b + bs) share a byte; by last bytes, since a range
 * may end at 2^64 exactly. */
static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a <= b + (bs - 1) && b <= a + (as - 1);
}

enum dev_add_error dev_table_add(struct dev_table *t, const struct device_model *m, uint64_t base,
                                 uint64_t size, unsigned irq, struct device **out)
{
    if (t->count == DEV_MAX)
        return DEV_ADD_FULL;
    /* base + size may be 2^64 exactly (a device at the very top). */
    if (size == 0 || base + (size - 1) < base)
        return DEV_ADD_BAD_RANGE;
    for (unsigned i = 0; i < t->count; i++)
        if (overlaps(base, size, t->dev[i].base, t->dev[i].size))
            return DEV_ADD_OVERLAP;
    size_t need = (m->state_size + 15) & ~(size_t)15;
    if (m->state_size > DEV_STATE_SPACE || need > DEV_STATE_SPACE - t->state_used)
        return DEV_ADD_NO_SPACE;
    struct device *d = &t->dev[t->count];
    *d = (struct device){ .model = m, .base = base, .size = size, .irq = irq,
                          .phandle = DEV_DT_PHANDLE_BASE + t->count, .deadline = UINT64_MAX,
                          .state = need ? t->state_space + t->state_used : NULL };
    if (need)
        memset(d->state, 0, need);
    t->state_used += need;
    t->count++;
    if (out)
        *out = d;
    return DEV_ADD_OK;
}

void dev_table_drop_last(struct dev_table *t)
{
    if (!t->count)
        return;
    struct device *d = &t->dev[--t->count];
    t->state_used -= (d->model->state_size + 15) & ~(size_t)15;
    *d = (struct device){ 0 };
}

struct device *dev_table_find(const struct dev_table *t, uint64_t gpa)
{
    for (unsigned i = 0; i < t->count; i++)
        if (gpa >= t->dev[i].base && gpa - t->dev[i].base <= t->dev[i].size - 1)
            return (struct device *)&t->dev[i];
    return NULL;
}

struct device *dev_table_lookup(const struct dev_table *t, uint64_t gpa, unsigned width,
                                uint64_t *offset)
{
    struct device *d = dev_table_find(t, gpa);
    if (!d || width == 0)
        return NULL;
    uint64_t off = gpa - d->base;
    if (width - 1 > d->size - 1 - off)      /* its last byte past the device's */
        return NULL;
    *offset = off;
    return d;
}

struct device *dev_table_with(const struct dev_table *t, unsigned flag)
{
    for (unsigned i = 0; i < t->count; i++)
        if ((t->dev[i].model->flags & flag) == flag)
            return (struct device *)&t->dev[i];
    return NULL;
}

const char *dev_add_error_string(enum dev_add_error e)
{
    switch (e) {
    case DEV_ADD_OK: return "ok";
    case DEV_ADD_FULL: return "too many devices";
    case DEV_ADD_BAD_RANGE: return "empty or wrapping address range";
    case DEV_ADD_OVERLAP: return "overlaps another device";
    case DEV_ADD_NO_SPACE: return "no room for its state";
    }
    return "?";
}

int dev_dt_begin(void *fdt, const struct device *d)
{
    char name[64];
    snprintf(name, sizeof(name), "%s@%llx", d->model->name, (unsigned long long)d->base);
    int rc = fdt_begin_node(fdt, name);
    fdt64_t reg[2] = { cpu_to_fdt64(d->base), cpu_to_fdt64(d->size) };
    if (!rc)
        rc = fdt_property(fdt, "reg", reg, sizeof(reg));
    if (!rc)
        rc = fdt_property_u32(fdt, "phandle", d->phandle);
    return rc;
}

int dev_dt_interrupts(void *fdt, const struct device *d, const struct dev_dt_ctx *ctx)
{
    if (!d->irq || !ctx->irq_parent)
        return 0;
    int rc = fdt_property_u32(fdt, "interrupts", d->irq);
    return rc ? rc : fdt_property_u32(fdt, "interrupt-parent", ctx->irq_parent);
}
