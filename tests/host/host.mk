# Host unit tests (cmocka): tests/host/test_NAME.c -> $(B)/host/test_NAME,
# built with the host compiler together with the pure src/ modules it tests.
# tests/run-tests.py runs every $(B)/host/test_*.
HOST_CC := gcc
# UBSan stops at its first finding (by default it only prints), so UB fails the test.
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
HOST_LIBS := -lcmocka -lfdt -lpthread
HOST_TESTS := $(basename $(notdir $(wildcard tests/host/test_*.c)))
HOST_HEADERS := $(wildcard src/*/*.h src/*/*/*.h tests/host/*.h)

# The src/ files each test is linked with.
$(B)/host/test_page_alloc: src/core/page_alloc.c
$(B)/host/test_shadow_pool: src/core/shadow_pool.c
$(B)/host/test_shadow_split: src/core/shadow_split.c
$(B)/host/test_pagetable: src/arch/riscv/pagetable.c
$(B)/host/test_sha256: src/core/sha256.c
$(B)/host/test_entropy: src/core/entropy.c src/core/sha256.c
$(B)/host/test_image: src/core/image.c src/core/sha256.c src/dev/disk_slice.c
$(B)/host/test_insn: src/core/insn.c
$(B)/host/test_vcsr: src/core/vcsr.c
$(B)/host/test_plain_csr: src/core/plain_csr.c src/core/insn.c
$(B)/host/test_patch_clock: src/core/patch_clock.c
$(B)/host/test_hostdt: src/core/hostdt.c
$(B)/host/test_guest_dt: src/core/guest_dt.c src/dev/devtable.c
$(B)/host/test_uart: src/dev/uart.c
$(B)/host/test_console_mux: src/core/console_mux.c
$(B)/host/test_guest_panic: src/core/guest_panic.c
$(B)/host/test_sched: src/core/sched.c
$(B)/host/test_plic: src/dev/plic.c
$(B)/host/test_goldfish_rtc: src/dev/goldfish_rtc.c src/core/wallclock.c
$(B)/host/test_guest_walk: src/core/guest_walk.c src/arch/riscv/pagetable.c
$(B)/host/test_fast_path: src/first/fast_path.c src/core/vcsr.c src/core/guest_walk.c \
	src/arch/riscv/pagetable.c
$(B)/host/test_reloc: src/core/reloc.c src/arch/riscv/pagetable.c
$(B)/host/test_first_layout: src/arch/riscv/pagetable.c
$(B)/host/test_emulate: src/core/emulate.c src/core/insn.c
$(B)/host/test_vq: src/dev/vq.c
$(B)/host/test_disk_slice: src/dev/disk_slice.c
# The virtio-blk device on the virtio-mmio transport, over a disk in memory.
$(B)/host/test_virtio_blk: src/dev/virtio_blk.c src/dev/virtio_dev.c src/dev/vq.c src/dev/disk_slice.c \
	src/dev/devtable.c src/io/backend.c
# The trap dispatcher and every SBI extension lodger offers, on the fakes
# that tests/fuzz/fuzz_trap.c shares.
TRAP_SRCS := src/core/trap.c src/core/vcpu_state.c src/core/vcpu_irq.c src/core/insn.c src/core/vcsr.c \
	src/sbi/sbi.c src/sbi/base.c src/sbi/time.c src/sbi/ipi.c src/sbi/dbcn.c src/sbi/hsm.c \
	src/sbi/srst.c src/sbi/legacy.c src/sbi/lodger.c src/arch/riscv/pagetable.c \
	src/dev/devtable.c src/dev/sifive_test.c src/core/plain_csr.c tests/host/fake_vcpu.c
$(B)/host/test_trap: $(TRAP_SRCS)
# The SBI extensions' argument checks (hart masks, ids, addresses), on the same fakes.
$(B)/host/test_sbi: $(TRAP_SRCS)
# The device table, with QEMU virt's test finisher as a device in it (its
# writes' exits, its tree nodes), on test_trap's fakes.
$(B)/host/test_devtable: src/core/guest_dt.c $(TRAP_SRCS)
$(B)/host/test_sbi_dbcn: src/sbi/dbcn.c
$(B)/host/test_switch: src/io/switch.c
$(B)/host/test_virtio_net: src/dev/virtio_net_frame.c src/dev/vq.c
$(B)/host/test_virtq: src/drivers/virtq.c
$(B)/host/test_blk_split: src/drivers/blk_split.c

# lodger's own memset/memcpy/memmove, renamed so as not to replace the host's.
$(B)/host/test_string: tests/host/test_string.c src/arch/riscv/string.c $(HOST_HEADERS) tests/host/host.mk
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"; $(HOST_CC) $(HOST_CFLAGS) -fno-builtin -Dmemset=lodger_memset \
		-Dmemcpy=lodger_memcpy -Dmemmove=lodger_memmove -c -o $@.string.o src/arch/riscv/string.c
	@$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/host/test_string.c $@.string.o $(HOST_LIBS)

.PHONY: test-host-bins
test-host-bins: $(HOST_TESTS:%=$(B)/host/%)

$(B)/host/test_%: tests/host/test_%.c $(HOST_HEADERS) tests/host/host.mk
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"; $(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) $(HOST_LIBS)
