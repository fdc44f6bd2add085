/* Many address spaces around the first portion (run-options:
 * --first-portion 0x40000000): 20 page tables (Sv39, Sv48 and Sv57 in
 * turn, each with its own ASID), switched with satp writes and sfence.vma,
 * more than lodger keeps shadow tables for. Each maps 64 KiB regions at
 * some of seven places - the forced one and the places lodger relocates its
 * first portion to (see fp_chase) - onto five physical blocks shared between
 * spaces, and leaves the others unmapped. The guest cycles through the
 * spaces many times, checks every word it reads against a model of the
 * blocks and writes new values; an unmapped place must give a page fault
 * (stval = the address), and every few rounds one space remaps a place to
 * another block. Under lodger the first portion is chased from place to
 * place and from space to space; the guest must never notice, and each
 * conflict must be one relocation to an unused region (lib/counters.h). */
#include "../lib/guest.h"
#define PT_POOL_PAGES 420
#include "../lib/pagetable.h"
#include "../lib/counters.h"

#define NSPACES 20
#define NPLACES 7
#define NBLOCKS 5
#define ROUNDS 40
#define REGION 0x10000UL
#define DATA 0x80800000UL           /* physical blocks: DATA + b * REGION */
#define SLOTS 3

static const unsigned long place[NPLACES] = {
    0x0000000040000000UL,           /* = --first-portion in run-options */
    0x0000003fbfff0000UL,           /* Sv39 and wider */
    0xffffffc040000000UL,
    0xffff800040000000UL,           /* Sv48 and wider */
    0x00007fffbfff0000UL,
    0xff00000040000000UL,           /* Sv57 */
    0x00ffffffbfff0000UL,
};
static const int place_min_levels[NPLACES] = { 3, 3, 3, 4, 4, 5, 5 };
static const unsigned long slot_off[SLOTS] = { 0x0, 0x808, 0xff8 };

static struct space {
    unsigned long *root;
    int levels;
    unsigned long asid;
    int block[NPLACES];             /* -1: unmapped */
    unsigned long reads, bad, faults, bad_faults;
} spaces[NSPACES];

static unsigned long model[NBLOCKS][16][SLOTS];
extern char guest_end[];

static void map_place(struct space *s, int j, int b)
{
    unsigned long flags = PTE_RW;
    s->block[j] = b;
    if (s->levels < place_min_levels[j])
        return;                     /* not canonical in this mode */
    for (unsigned long off = 0; off < REGION; off += PAGE)
        *pt_slot(s->root, s->levels, place[j] + off, 0) =
            b < 0 ? 0 : PTE(DATA + (unsigned long)b * REGION + off, flags);
}

static unsigned long satp_of_space(const struct space *s)
{
    return satp_of(s->root, s->levels, s->asid);
}

static unsigned long next_value(unsigned long v, int r, int i)
{
    return v * 6364136223846793005UL + 1442695040888963407UL + (unsigned long)(r * 64 + i);
}

static void visit(int r, int i)
{
    struct space *s = &spaces[i];
    if (r & 1) {
        csr_write(satp, satp_of_space(s));
        __asm__ volatile("sfence.vma zero, %0" :: "r"(s->asid) : "memory");
    } else {
        satp_switch(satp_of_space(s));
    }
    for (int j = 0; j < NPLACES; j++) {
        int page = (r * 5 + i * 3 + j) & 15, slot = (r + i + j) % SLOTS;
        unsigned long va = place[j] + (unsigned long)page * PAGE + slot_off[slot];
        int b = s->block[j];
        if (b < 0) {
            if (s->levels < place_min_levels[j])
                continue;           /* not canonical in this mode */
            int before = last_trap.count;
            (void)*(volatile unsigned long *)va;
            s->faults++;
            if (last_trap.count != before + 1 || last_trap.scause != 13 || last_trap.stval != va)
                s->bad_faults++;
            continue;
        }
        unsigned long *m = &model[b][page][slot];
        s->reads++;
        if (*(volatile unsigned long *)va != *m)
            s->bad++;
        *m = next_value(*m, r, i);
        *(volatile unsigned long *)va = *m;
    }
}

int guest_main(void)
{
    gprintf("=== begin: fp_many_spaces ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");
    for (int b = 0; b < NBLOCKS; b++)
        for (int p = 0; p < 16; p++)
            for (int k = 0; k < SLOTS; k++) {
                model[b][p][k] = 0xb10c000000000000UL | (unsigned long)b << 32 | (unsigned long)p << 16 | (unsigned long)k;
                *(volatile unsigned long *)(DATA + (unsigned long)b * REGION + (unsigned long)p * PAGE + slot_off[k]) = model[b][p][k];
            }

    for (int i = 0; i < NSPACES; i++) {
        struct space *s = &spaces[i];
        s->root = pt_alloc();
        s->levels = 3 + i % (guest_levels() - 2);     /* Sv39 only when capped */
        s->asid = (unsigned long)i + 1;
        pt_map_identity(s->root, s->levels);
        for (int j = 0; j < NPLACES; j++)
            map_place(s, j, (i + 2 * j) % 3 == 1 || s->levels < place_min_levels[j] ? -1 : (i * 7 + j) % NBLOCKS);
    }
    gprintf("case table_pages: %s\n", pt_used <= PT_POOL_PAGES ? "enough" : "too few");

    struct fp_counts counts, after;
    fp_counts_read(&counts);
    int remaps = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int n = 0; n < NSPACES; n++)
            visit(r, (r * 7 + n) % NSPACES);
        if (r % 4 == 3) {
            /* One space changes one place: to another block, or unmapped,
             * or mapped again. */
            struct space *s = &spaces[(r * 3) % NSPACES];
            int j = (r / 4) % NPLACES;
            if (s->levels >= place_min_levels[j]) {
                int b = s->block[j] < 0 ? r % NBLOCKS : s->block[j] == NBLOCKS - 1 ? -1 : s->block[j] + 1;
                satp_switch(satp_of_space(s));
                map_place(s, j, b);
                sfence_all();
                remaps++;
            }
        }
    }
    satp_switch(0);
    /* Under lodger: the first visit of space 0 touched the forced place
     * (a conflict); every conflict moved the first portion to an unused
     * place (most of the address space is unmapped in every space). */
    after = counts;
    fp_expect("the rounds", &after, (struct fp_expect){ .conflicts = FPC_MIN(1), .unused = FPC_MIN(1) });
    if (under_lodger())
        CHECK(after.c[1] - counts.c[1] == after.c[0] - counts.c[0]);    /* one move per conflict */

    unsigned long reads = 0, bad = 0, faults = 0, bad_faults = 0;
    for (int i = 0; i < NSPACES; i++) {
        struct space *s = &spaces[i];
        gprintf("case space%02d: sv%d asid=%lu reads=%lu bad=%lu faults=%lu bad_faults=%lu\n", i,
                12 + 9 * s->levels, s->asid, s->reads, s->bad, s->faults, s->bad_faults);
        reads += s->reads;
        bad += s->bad;
        faults += s->faults;
        bad_faults += s->bad_faults;
    }
    /* The blocks, read physically, hold what the model says. */
    unsigned long phys_bad = 0, sum = 0;
    for (int b = 0; b < NBLOCKS; b++)
        for (int p = 0; p < 16; p++)
            for (int k = 0; k < SLOTS; k++) {
                unsigned long v = *(volatile unsigned long *)(DATA + (unsigned long)b * REGION + (unsigned long)p * PAGE + slot_off[k]);
                phys_bad += v != model[b][p][k];
                sum ^= v * (unsigned long)(b * 64 + p * 4 + k + 1);
            }
    gprintf("case totals: reads=%lu bad=%lu faults=%lu bad_faults=%lu remaps=%d\n", reads, bad,
            faults, bad_faults, remaps);
    gprintf("case physical: bad=%lu checksum=0x%lx\n", phys_bad, sum);
    return failures;
}
