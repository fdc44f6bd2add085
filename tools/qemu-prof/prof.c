/*
 * prof.c: a QEMU TCG plugin that counts the instructions executed per
 * translation block, keyed by the block's virtual address, and writes
 * "vaddr count insns" lines at exit (to the file given as out=FILE).
 *
 * QEMU's plugin header is not packaged by Debian; the few entry points
 * used here are declared below from QEMU's documented plugin API
 * (docs/devel/tcg-plugins.rst, API version 1 as in QEMU 7.2).
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
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
                        char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0)
            out_path = argv[i] + 4;
    table = calloc(TABLE_SIZE, sizeof(*table));
    if (!table)
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit_dump, NULL);
    return 0;
}
