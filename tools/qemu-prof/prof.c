/*
 * prof.c: a QEMU TCG plugin that counts the instructions executed per
 * translation block, keyed by the block's virtual address, and writes
 * "vaddr count insns" lines at exit (to the file given as out=FILE).
 *
 * QEMU's plugin header is not packaged by Debian; the few entry points
 * used here are declared below from QEMU's documented plugin API
 * (docs/devel/tcg-plugins.rst, API version 1 as in QEMU 7.2).
 *
 * With first=VA (the first portion's guest-virtual address, from lodger's
 * "first portion at" line) and paths=FILE, it also follows each trap
 * through the first portion's code page: from a block at the trap entry
 * (offset 0) to the next, the blocks executed in that page form the trap's
 * path; at exit FILE gets "count insns offset,offset,..." per distinct path
 * (offsets from the page's start), which tools/qemu-prof/fastpaths names.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
                                              enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb,
                                    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One record per (vaddr, length) pair; a block retranslated with the same
 * shape shares its record. Open addressing, never shrinks. */
struct block {
    uint64_t vaddr;
    uint64_t insns;
    uint64_t count;     /* executions, bumped inline by the generated code */
};

#define TABLE_BITS 22
#define TABLE_SIZE (1u << TABLE_BITS)
static struct block *table;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out_path = "prof.out";

/* Paths through the first portion (first=, paths=). One hart is assumed
 * (icount runs use one); the blocks of a path are kept up to PATH_MAX. */
#define PATH_MAX_BLOCKS 64
#define PATHS 65536
struct path {
    uint64_t hash, count, insns, n;
    uint16_t blocks[PATH_MAX_BLOCKS];
};
static struct path *paths;
static uint64_t first_va, have_first;
static const char *paths_path;
static struct path cur;

static void path_end(void)
{
    if (!cur.n)
        return;
    for (uint64_t i = 0; i < PATHS; i++) {
        struct path *p = &paths[(cur.hash + i) & (PATHS - 1)];
        if (!p->count) {
            *p = cur;
            p->count = 1;
            break;
        }
        if (p->hash == cur.hash && p->n == cur.n && p->insns == cur.insns &&
            !memcmp(p->blocks, cur.blocks, sizeof(cur.blocks[0]) * (cur.n < PATH_MAX_BLOCKS ? cur.n : PATH_MAX_BLOCKS))) {
            p->count++;
            break;
        }
    }
    memset(&cur, 0, sizeof(cur));
}

static void on_first_block(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    uint64_t packed = (uint64_t)(uintptr_t)userdata;   /* offset << 16 | insns */
    uint64_t off = packed >> 16, insns = packed & 0xffff;
    if (off == 0)
        path_end();
    if (cur.n < PATH_MAX_BLOCKS)
        cur.blocks[cur.n] = (uint16_t)off;
    cur.n++;
    cur.insns += insns;
    cur.hash = (cur.hash ^ off) * 0x100000001b3ull;
}

static struct block *lookup(uint64_t vaddr, uint64_t insns)
{
    uint64_t h = (vaddr * 0x9e3779b97f4a7c15ull + insns) >> (64 - TABLE_BITS);
    for (uint64_t i = 0; i < TABLE_SIZE; i++) {
        struct block *b = &table[(h + i) & (TABLE_SIZE - 1)];
        if (b->insns == 0) {
            b->vaddr = vaddr;
            b->insns = insns;
            return b;
        }
        if (b->vaddr == vaddr && b->insns == insns)
            return b;
    }
    fprintf(stderr, "prof: table full\n");
    abort();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    uint64_t insns = qemu_plugin_tb_n_insns(tb);
    pthread_mutex_lock(&lock);
    struct block *b = lookup(qemu_plugin_tb_vaddr(tb), insns);
    pthread_mutex_unlock(&lock);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                             &b->count, 1);
    uint64_t va = qemu_plugin_tb_vaddr(tb);
    if (have_first && va >= first_va && va - first_va < 4096)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_first_block, QEMU_PLUGIN_CB_NO_REGS,
                                             (void *)(uintptr_t)((va - first_va) << 16 | insns));
}

static void at_exit_dump(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    FILE *f = fopen(out_path, "w");
    if (!f) {
        perror(out_path);
        return;
    }
    for (uint64_t i = 0; i < TABLE_SIZE; i++)
        if (table[i].count)
            fprintf(f, "%llx %llu %llu\n", (unsigned long long)table[i].vaddr,
                    (unsigned long long)table[i].count,
                    (unsigned long long)table[i].insns);
    fclose(f);
    if (!paths)
        return;
    path_end();
    f = fopen(paths_path, "w");
    if (!f) {
        perror(paths_path);
        return;
    }
    for (uint64_t i = 0; i < PATHS; i++) {
        struct path *p = &paths[i];
        if (!p->count)
            continue;
        fprintf(f, "%llu %llu ", (unsigned long long)p->count, (unsigned long long)p->insns);
        for (uint64_t k = 0; k < p->n && k < PATH_MAX_BLOCKS; k++)
            fprintf(f, "%s%x", k ? "," : "", p->blocks[k]);
        fprintf(f, "\n");
    }
    fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
                        char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0)
            out_path = argv[i] + 4;
        else if (strncmp(argv[i], "first=", 6) == 0) {
            first_va = strtoull(argv[i] + 6, NULL, 0);
            have_first = 1;
        } else if (strncmp(argv[i], "paths=", 6) == 0)
            paths_path = argv[i] + 6;
    if (have_first && paths_path) {
        paths = calloc(PATHS, sizeof(*paths));
        if (!paths)
            return -1;
    } else
        have_first = 0;
    table = calloc(TABLE_SIZE, sizeof(*table));
    if (!table)
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit_dump, NULL);
    return 0;
}
