/* VM images: a FIT (U-Boot flattened image tree) that holds up to
 * LODGER_MAX_VMS VMs: each one's kernel, optional initrd and DT, and its
 * settings, each image checked against its sha256 hash. Built by
 * tools/lodger-run with mkimage; read here with libfdt. Pure C; host-tested
 * in tests/host/test_image.c, fuzzed by tests/fuzz/fuzz_image.c.
 *
 * The format follows FIT's conventions (U-Boot doc/usage/fit): images under
 * /images, configurations under /configurations naming them. lodger reads
 * every configuration as one VM, in the order of the nodes (vm0, vm1, ...):
 *
 *   /images/NAME              data, type, compression ("none" or absent),
 *                             load and entry (kernel), hash-N { algo =
 *                             "sha256"; value }; several configurations may
 *                             name the same image
 *   /configurations
 *     default                 optional; if present it must name one of them
 *     CONF (one per VM)
 *       kernel = "NAME"       required
 *       ramdisk = "NAME"      optional: the initrd
 *       fdt = "NAME"          optional: the guest's DT (else lodger writes it)
 *       lodger,memory-mib     u32, 1..2^20 (default IMAGE_DEFAULT_MEM_MIB)
 *       lodger,vcpus          u32, 1..LODGER_MAX_VCPUS (default 1)
 *       lodger,bootargs       string: the guest's /chosen/bootargs
 *       lodger,first-portion  u64: the first portion's first place
 *       lodger,harts          u32 list: the hart ids the VM's vCPUs may run
 *                             on (default: every hart); distinct, at most
 *                             LODGER_MAX_HARTS; lodger refuses one the board
 *                             does not have
 *       lodger,console-input  empty: this VM has the console's input at
 *                             start (at most one VM; default: vm0)
 *       lodger,shadow-pages   u32, SHADOW_POOL_MIN_PAGES..SHADOW_POOL_MAX_PAGES:
 *                             the VM's shadow page budget, host pages
 *                             reserved for its shadow tables (default from
 *                             its memory and vCPUs, core/shadow_pool.h)
 *       lodger,net            empty: the VM gets a network card
 *                             (dev/virtio_net.c) on lodger's switch
 *       lodger,mac            6 bytes: its MAC address (only with
 *                             lodger,net); an individual address, not all
 *                             zeros, no two VMs' alike. Default
 *                             52:54:00:4c:44:<vm number> (IMAGE_DEFAULT_MAC):
 *                             QEMU's prefix, "LD", then the VM's number, so
 *                             neither QEMU's guest default 52:54:00:12:34:56
 *                             (the board's own card) nor its user network's
 *                             52:55:0a:00:02:02
 *       lodger,disk           string: the VM's virtio-blk disk, a slice of a
 *                             board disk (dev/disk_slice.h: "0", "0p2:ro",
 *                             "1@1M+64M"); checked against the disks at VM
 *                             creation (dev/virtio_blk.c)
 *
 * A configuration that breaks a rule is refused with one line naming the VM
 * and the property ("vm1: lodger,vcpus 15 is out of range (1..14)"). */
#ifndef LODGER_CORE_IMAGE_H
#define LODGER_CORE_IMAGE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "core/limits.h"

#define IMAGE_BOOTARGS_MAX 1024
#define IMAGE_DISK_MAX 64
#define IMAGE_DEFAULT_MEM_MIB 128
/* Patching of the guest kernel's trapping code (core/patch.h) unless the
 * image says lodger,patch = <0> (tools/lodger-run --no-patch, or a --vm's
 * no-patch field): it cuts a system call's cost to under half
 * (docs/BENCHMARKS.md); without it every CSR access traps through the
 * firmware, as before issue 15. */
#define IMAGE_DEFAULT_PATCH true
/* A network card's default MAC address: these five bytes, then the VM's number. */
#define IMAGE_DEFAULT_MAC 0x52, 0x54, 0x00, 0x4c, 0x44

struct image_blob {
    const uint8_t *data;
    size_t size;
};

/* One VM's configuration. */
struct vm_image {
    struct image_blob kernel, initrd, fdt;
    uint64_t kernel_load, kernel_entry;
    uint64_t mem_size;
    unsigned vcpus;
    char bootargs[IMAGE_BOOTARGS_MAX];
    bool first_portion_forced;
    uint64_t first_portion_va;
    unsigned hart_count;                    /* 0: any hart */
    uint32_t harts[LODGER_MAX_HARTS];       /* hart ids, as the board's DT numbers them */
    bool patch;                 /* patch the guest kernel's trapping code (core/patch.h) */
    uint64_t shadow_pages;      /* its shadow page budget (core/shadow_pool.h); 0: the default */
    bool net;                   /* a network card on lodger's switch */
    uint8_t mac[6];             /* its address (set when net: given or the default) */
    char disk[IMAGE_DISK_MAX];  /* lodger,disk ("": no disk) */
};

struct image_set {
    unsigned count;                         /* 1..LODGER_MAX_VMS */
    unsigned console_vm;                    /* the VM with the console input at start */
    struct vm_image vm[LODGER_MAX_VMS];
};

/* Parses and verifies the FIT in [blob, blob+size). Returns 0, or -1 with a
 * one-line reason in err. */
int image_parse(const void *blob, size_t size, struct image_set *set, char *err, size_t errlen);

#endif
