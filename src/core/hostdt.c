#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "core/hostdt.h"
#include "arch/riscv/encoding.h"

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

/* Appends the (address, size) pairs of node's "reg" to out[]. */
static int read_reg(const void *fdt, int node, int parent, struct mem_range *out, int max)
{
    int len, ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || ac < 1 || ac > 2 || sc < 0 || sc > 2)
        return 0;
    int n = 0, stride = (ac + sc) * 4;
    for (int off = 0; off + stride <= len && n < max; off += stride, n++) {
        const fdt32_t *cell = reg + off / 4;
        out[n].base = read_cells(cell, ac);
        out[n].size = read_cells(cell + ac, sc);
    }
    return n;
}

static uint64_t read_u32_or_u64(const void *fdt, int node, const char *name)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
    if (!p || (len != 4 && len != 8))
        return 0;
    return read_cells(p, len / 4);
}

static void copy_string_prop(const void *fdt, int node, const char *name, char *out, size_t size)
{
    const char *s = fdt_getprop(fdt, node, name, NULL);
    out[0] = 0;
    if (s) {
        strncpy(out, s, size - 1);
        out[size - 1] = 0;
    }
}

static void parse_cpus(const void *fdt, struct host_info *info)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    if (cpus < 0)
        return;
    info->timebase_hz = read_u32_or_u64(fdt, cpus, "timebase-frequency");
    int node;
    fdt_for_each_subnode(node, fdt, cpus) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        const char *status = fdt_getprop(fdt, node, "status", NULL);
        if (!type || strcmp(type, "cpu") || (status && strcmp(status, "okay") && strcmp(status, "ok")))
            continue;
        /* Harts without an MMU (e.g. the E51 monitor core of sifive_u) cannot run S-mode. */
        if (!fdt_getprop(fdt, node, "mmu-type", NULL) || info->hart_count == HOST_MAX_HARTS)
            continue;
        struct host_hart *h = &info->harts[info->hart_count++];
        h->plic_context = -1;
        struct mem_range reg;
        h->hartid = read_reg(fdt, node, cpus, &reg, 1) ? reg.base : 0;
        copy_string_prop(fdt, node, "riscv,isa", h->isa, sizeof(h->isa));
        copy_string_prop(fdt, node, "mmu-type", h->mmu_type, sizeof(h->mmu_type));
    }
}

static bool node_okay(const void *fdt, int node)
{
    const char *status = fdt_getprop(fdt, node, "status", NULL);
    return !status || !strcmp(status, "okay") || !strcmp(status, "ok");
}

/* The PLIC and its S-mode contexts: interrupts-extended lists the contexts
 * in order, each a (hart's interrupt controller, cause) pair; cause 9 is
 * the supervisor external interrupt (privileged spec 4.1.3, the PLIC
 * binding), and the controller's parent is its hart. */
static void parse_plic(const void *fdt, struct host_info *info)
{
    int plic = fdt_node_offset_by_compatible(fdt, -1, "riscv,plic0");
    if (plic < 0)
        plic = fdt_node_offset_by_compatible(fdt, -1, "sifive,plic-1.0.0");
    struct mem_range reg;
    if (plic < 0 || !node_okay(fdt, plic) || !read_reg(fdt, plic, fdt_parent_offset(fdt, plic), &reg, 1))
        return;
    info->plic.base = reg.base;
    info->plic.size = reg.size;
    info->plic.ndev = (uint32_t)read_u32_or_u64(fdt, plic, "riscv,ndev");
    info->plic.phandle = fdt_get_phandle(fdt, plic);
    int len;
    const fdt32_t *p = fdt_getprop(fdt, plic, "interrupts-extended", &len);
    int cells = p ? len / 4 : 0, context = 0;
    for (int i = 0; i < cells; context++) {
        int intc = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(p[i++]));
        if (intc < 0)
            return;     /* the list cannot be followed past an unknown controller */
        const fdt32_t *ic = fdt_getprop(fdt, intc, "#interrupt-cells", NULL);
        int n = ic ? (int)fdt32_to_cpu(*ic) : 1;
        if (n < 1 || i + n > cells)
            return;
        uint32_t cause = fdt32_to_cpu(p[i]);
        i += n;
        int cpu = fdt_parent_offset(fdt, intc);
        struct mem_range hart;
        if (cause != IRQ_S_EXT || cpu < 0 || !read_reg(fdt, cpu, fdt_parent_offset(fdt, cpu), &hart, 1))
            continue;
        for (int h = 0; h < info->hart_count; h++)
            if (info->harts[h].hartid == hart.base && info->harts[h].plic_context < 0)
                info->harts[h].plic_context = context;
    }
}

/* The node's interrupt parent's phandle (its own or an ancestor's), 0 if none. */
static uint32_t interrupt_parent(const void *fdt, int node)
{
    for (; node >= 0; node = fdt_parent_offset(fdt, node)) {
        const fdt32_t *p = fdt_getprop(fdt, node, "interrupt-parent", NULL);
        if (p)
            return fdt32_to_cpu(*p);
    }
    return 0;
}

/* Every virtio-mmio transport, in the tree's order (QEMU virt lists its
 * last one first, the one its first -device takes). */
static void parse_virtio(const void *fdt, struct host_info *info)
{
    int node = -1;
    while ((node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) >= 0 &&
           info->virtio_count < HOST_MAX_VIRTIO) {
        struct mem_range reg;
        if (!node_okay(fdt, node) || !read_reg(fdt, node, fdt_parent_offset(fdt, node), &reg, 1) ||
            !reg.size)
            continue;
        struct host_virtio *v = &info->virtio[info->virtio_count++];
        v->base = reg.base;
        v->size = reg.size;
        int len;
        const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
        /* Only a source on the PLIC lodger knows is usable; else lodger polls. */
        if (irq && len >= 4 && info->plic.size && info->plic.phandle &&
            interrupt_parent(fdt, node) == info->plic.phandle) {
            uint32_t source = fdt32_to_cpu(irq[0]);
            if (source >= 1 && source <= info->plic.ndev)
                v->irq = source;
        }
    }
}

int hostdt_parse(const void *fdt, struct host_info *info)
{
    int err = fdt_check_header(fdt);
    if (err)
        return err;
    memset(info, 0, sizeof(*info));
    info->fdt = fdt;
    info->fdt_size = fdt_totalsize(fdt);
    copy_string_prop(fdt, 0, "model", info->model, sizeof(info->model));

    int node;
    fdt_for_each_subnode(node, fdt, 0) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        if (type && !strcmp(type, "memory") && info->mem_count < HOST_MAX_MEM)
            info->mem_count += read_reg(fdt, node, 0, &info->mem[info->mem_count],
                                        HOST_MAX_MEM - info->mem_count);
    }

    for (int i = 0; i < fdt_num_mem_rsv(fdt) && info->reserved_count < HOST_MAX_RESERVED; i++) {
        uint64_t addr, size;
        if (!fdt_get_mem_rsv(fdt, i, &addr, &size))
            info->reserved[info->reserved_count++] = (struct mem_range){ addr, size };
    }
    int resv = fdt_path_offset(fdt, "/reserved-memory");
    if (resv >= 0) {
        fdt_for_each_subnode(node, fdt, resv) {
            info->reserved_count += read_reg(fdt, node, resv, &info->reserved[info->reserved_count],
                                             HOST_MAX_RESERVED - info->reserved_count);
        }
    }

    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen >= 0) {
        info->initrd_start = read_u32_or_u64(fdt, chosen, "linux,initrd-start");
        info->initrd_end = read_u32_or_u64(fdt, chosen, "linux,initrd-end");
        copy_string_prop(fdt, chosen, "bootargs", info->bootargs, sizeof(info->bootargs));
    }
    parse_cpus(fdt, info);
    parse_plic(fdt, info);
    parse_virtio(fdt, info);
    int test = fdt_node_offset_by_compatible(fdt, -1, "sifive,test0");
    struct mem_range reg;
    if (test >= 0 && read_reg(fdt, test, fdt_parent_offset(fdt, test), &reg, 1))
        info->test_device = reg.base;
    /* Its registers are 32-bit, TIME_LOW and TIME_HIGH at 0 and 4. */
    int rtc = fdt_node_offset_by_compatible(fdt, -1, "google,goldfish-rtc");
    while (rtc >= 0 && !node_okay(fdt, rtc))
        rtc = fdt_node_offset_by_compatible(fdt, rtc, "google,goldfish-rtc");
    if (rtc >= 0 && read_reg(fdt, rtc, fdt_parent_offset(fdt, rtc), &reg, 1) && reg.size >= 8 &&
        !(reg.base & 3))
        info->rtc = reg.base;
    return 0;
}

/* One word of the command line: [*word, *word + len). */
static bool next_word(const char **p, size_t *len)
{
    while (**p == ' ' || **p == '\t' || **p == '\n')
        (*p)++;
    *len = strcspn(*p, " \t\n");
    return *len > 0;
}

static bool word_is(const char *w, size_t len, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (len <= n || strncmp(w, name, n) || w[n] != '=')
        return false;
    *value = w + n + 1;
    return true;
}

bool hostdt_options(const char *bootargs, struct host_options *opts, char *err, size_t errlen)
{
    opts->max_levels = 5;
    opts->max_asid_bits = 16;
    opts->selftest_disk = false;
    const char *w = bootargs;
    size_t len;
    for (; next_word(&w, &len); w += len) {
        const char *v;
        if (len < 7 || strncmp(w, "lodger.", 7))
            continue;
        if (word_is(w, len, "lodger.mmu", &v)) {
            size_t vlen = len - (size_t)(v - w);
            static const char *const modes[] = { "sv39", "sv48", "sv57" };
            int levels = 0;
            for (int i = 0; i < 3; i++)
                if (vlen == 4 && !strncmp(v, modes[i], 4))
                    levels = 3 + i;
            if (!levels) {
                snprintf(err, errlen, "%.*s: the mode is sv39, sv48 or sv57", (int)len, w);
                return false;
            }
            opts->max_levels = levels;
        } else if (word_is(w, len, "lodger.asid-bits", &v)) {
            size_t vlen = len - (size_t)(v - w);
            unsigned n = 0;
            bool ok = vlen >= 1 && vlen <= 2;
            for (size_t i = 0; ok && i < vlen; i++) {
                ok = v[i] >= '0' && v[i] <= '9';
                n = n * 10 + (unsigned)(v[i] - '0');
            }
            if (!ok || n > 16) {
                snprintf(err, errlen, "%.*s: the number of ASID bits is 0..16", (int)len, w);
                return false;
            }
            opts->max_asid_bits = n;
        } else if (word_is(w, len, "lodger.selftest", &v) && len - (size_t)(v - w) == 4 &&
                   !strncmp(v, "disk", 4)) {
            opts->selftest_disk = true;
        } else {
            snprintf(err, errlen, "%.*s: unknown (lodger.mmu=MODE, lodger.asid-bits=N, "
                     "lodger.selftest=disk)",
                     len > 60 ? 60 : (int)len, w);
            return false;
        }
    }
    return true;
}

int hostdt_cap_mmu(const struct host_options *opts, unsigned long *modes, unsigned *asid_bits)
{
    int levels = 0;
    for (int l = 3; l <= 5; l++) {
        unsigned long mode = SATP_MODE_SV39 + (unsigned long)(l - 3);
        if (l > opts->max_levels)
            *modes &= ~(1UL << mode);
        else if (*modes & (1UL << mode))
            levels = l;
    }
    if (*asid_bits > opts->max_asid_bits)
        *asid_bits = opts->max_asid_bits;
    return levels;
}
