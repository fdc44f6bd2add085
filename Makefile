# lodger — one non-recursive Makefile.
#   make            build build/lodger.bin (and the test guests)
#   make run        boot the demo guest under lodger on QEMU
#   make run-multi  two Linux VMs and a bare-metal one under one lodger
#   make soak-multi run-multi-like boots with random reboots, SOAK_SECONDS (600)
#   make rootfs     the Debian riscv64 disk image (cached in ~/.cache/lodger/rootfs)
#   make run-debian Debian from that disk under lodger (NATIVE=1: without lodger)
#   make test-debian  log in, DHCP, apt-get install hello, poweroff (NATIVE=1 too)
#   make test       host unit tests + native-vs-lodger guest tests + short fuzzing
#   make fuzz       libFuzzer on the pure modules, FUZZ_SECONDS (60) each
#   make bench      Linux workloads natively and under lodger: table and plot in build/bench
#   make gdb        QEMU halted, waiting for gdb; then gdb with lodger's symbols
#   make listing    disassembly of lodger in build/lodger.lst
#   make deps       install/download everything the above need (idempotent)

CACHE ?= $(HOME)/.cache/lodger
# make CHECK_FAST=1: a checking lodger (DEVELOPERS.md), in build-check/ by default.
CHECK_FAST ?=
ifeq ($(CHECK_FAST),1)
B ?= build-check
CHECK_FLAGS := -DLODGER_CHECK_FAST
endif
B ?= build
CROSS := riscv64-unknown-elf-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
OBJDUMP := $(CROSS)objdump
RISCV_LIBFDT := $(CACHE)/riscv64

ARCH_FLAGS := -march=rv64gc -mabi=lp64d -mcmodel=medany
CFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -std=gnu11 -O2 -g -ffreestanding \
	-fno-stack-protector -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Isrc -I$(B)/gen -I$(RISCV_LIBFDT)/include $(CHECK_FLAGS)
LDFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -nostartfiles -static -Wl,--gc-sections \
	-Wl,--no-warn-rwx-segments

LODGER_SRCS := $(wildcard src/arch/riscv/*.c src/first/*.S src/first/fast_path.c src/arch/riscv/*.S \
	src/core/*.c src/sbi/*.c src/dev/*.c src/io/*.c src/drivers/*.c)
LODGER_OBJS := $(patsubst src/%,$(B)/obj/%.o,$(LODGER_SRCS))

.PHONY: stress all deps rootfs run-debian test-debian run run-multi soak-multi run-hello test test-host test-guests bench gdb listing clean
all: $(B)/lodger.bin guests

deps:
	@bash scripts/deps

$(B)/gen/offsets.inc: src/first/offsets.c src/first/frame.h
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) -S -o $(B)/gen/offsets.s $<
	@sed -n 's/.*->\([A-Z0-9_]*\) \(-\?[0-9]*\).*/.equ \1, \2/p' $(B)/gen/offsets.s > $@

$(B)/obj/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/%.S.o: src/%.S $(B)/gen/offsets.inc
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/lodger.elf: $(LODGER_OBJS) src/arch/riscv/lodger.ld tools/check-first-portion
	@echo "  CC  $@"; $(CC) $(LDFLAGS) -T src/arch/riscv/lodger.ld -o $@ $(LODGER_OBJS) \
		$(RISCV_LIBFDT)/libfdt.a -lc -lgcc
	@python3 tools/check-first-portion $@

$(B)/lodger.bin: $(B)/lodger.elf
	@$(OBJCOPY) -O binary $< $@

listing: $(B)/lodger.elf
	$(OBJDUMP) -d -S $< > $(B)/lodger.lst
	@echo "wrote $(B)/lodger.lst"

-include $(shell find $(B) -name '*.d' 2>/dev/null)

include tests/guests/guests.mk
include tests/host/host.mk
include tests/fuzz/fuzz.mk

LINUX_IMAGE := $(CACHE)/riscv64/Image
LINUX_APPEND := console=ttyS0 earlycon=sbi

# A kernel module for tests/linux/test.sh to load and unload (issue 15:
# module loading writes kernel code): md4, which depends on no other
# module, from the kernel package the Image came from (scripts/deps keeps it).
LINUX_DEB = $(firstword $(wildcard $(CACHE)/debs/linux-image-*.deb))
$(B)/linux-modules/md4.ko: scripts/kernel-modules $(LINUX_DEB)
	scripts/kernel-modules $(dir $@) md4

$(B)/initrd.gz: scripts/mkinitramfs scripts/busybox-applets tests/linux/test.sh $(B)/linux-modules/md4.ko
	scripts/mkinitramfs $@ tests/linux/test.sh $(B)/linux-modules/md4.ko

# VMs with network cards (tests/run-tests.py net): the test script, and
# the modules Debian's kernel needs for a virtio-net card on virtio-mmio.
NET_MODULES := failover net_failover virtio_mmio virtio_net
$(B)/net/initrd.gz: scripts/mkinitramfs scripts/busybox-applets scripts/kernel-modules tests/net/test.sh
	@mkdir -p $(B)/net/mod
	scripts/kernel-modules $(B)/net/mod $(NET_MODULES)
	cp tests/net/test.sh $(B)/net/test.sh
	scripts/mkinitramfs $@ $(B)/net/test.sh $(NET_MODULES:%=$(B)/net/mod/%.ko)

# Linux with a virtio disk (run-tests.py disk): Debian's virtio_mmio and
# virtio_blk modules, taken from the kernel package scripts/deps keeps.
$(B)/disk/initrd.gz: scripts/mkinitramfs scripts/busybox-applets scripts/kernel-modules \
		tests/linux/disk.sh
	@mkdir -p $(B)/disk/mod
	scripts/kernel-modules $(B)/disk/mod virtio_mmio virtio_blk
	cp tests/linux/disk.sh $(B)/disk/test.sh
	scripts/mkinitramfs $@ $(B)/disk/test.sh $(B)/disk/mod/virtio_mmio.ko $(B)/disk/mod/virtio_blk.ko

# Debian's kernel under lodger, to a shell (quit: poweroff, or Ctrl-A X).
run: deps all $(B)/initrd.gz
	LODGER_BUILD=$(abspath $(B)) tools/lodger-run --mem 256 --kernel $(LINUX_IMAGE) \
		--initrd $(B)/initrd.gz --append "$(LINUX_APPEND)"

# Several VMs on one console (README: Several VMs): two Linux VMs to a shell
# each, as make run boots one, and a small bare-metal VM (vm_mem: it checks
# its memory, then waits up to 10 minutes for a line of input, prints it and
# powers off). Ctrl-] then 0, 1, 2 gives that VM the console input.
RUN_MULTI_LINUX := kernel=$(LINUX_IMAGE),initrd=$(B)/initrd.gz,mem=256
run-multi: deps all $(B)/initrd.gz
	LODGER_BUILD=$(abspath $(B)) tools/lodger-run --smp 2 \
		--vm "$(RUN_MULTI_LINUX),console,append=$(LINUX_APPEND)" \
		--vm "$(RUN_MULTI_LINUX),append=$(LINUX_APPEND)" \
		--vm "kernel=$(B)/guests/vm_mem.bin,mem=16,append=vm.tag=bare vm.end=read vm.wait=600"

# A soak loop (not part of make test): tools/soak-multi boots what run-multi
# boots, the Linux VMs running tests/soak/soak.sh (which reboots its VM at
# random points), for SOAK_SECONDS, checking each run's end and each VM's output.
SOAK_SECONDS ?= 600
$(B)/soak/initrd.gz: scripts/mkinitramfs scripts/busybox-applets tests/soak/soak.sh
	@mkdir -p $(dir $@)
	cp tests/soak/soak.sh $(B)/soak/test.sh
	scripts/mkinitramfs $@ $(B)/soak/test.sh

soak-multi: deps all $(B)/soak/initrd.gz
	LODGER_BUILD=$(abspath $(B)) SOAK_SECONDS=$(SOAK_SECONDS) tools/soak-multi

# Debian on a disk (README: A Debian VM). scripts/mkrootfs builds the image
# (debootstrap's second stage in a VM: 10-30 minutes) into the cache, and
# rebuilds it only when its inputs change. NATIVE=1: QEMU's devices, no lodger.
ROOTFS := $(CACHE)/rootfs
NATIVE ?=
# 1 GiB, as a small Debian machine would have (lodger-run sizes QEMU's memory so
# that one free block holds it beside lodger and what QEMU puts in RAM).
DEBIAN_MEM ?= 1024
# systemd waits 90 s for a device by default (the UART's getty waits for
# /dev/ttyS0): too little for udev's first pass on a loaded machine.
DEBIAN_APPEND := console=ttyS0 root=/dev/vda rw systemd.default_device_timeout_sec=900
rootfs: deps
	@LODGER_CACHE=$(CACHE) scripts/mkrootfs

run-debian: rootfs $(if $(NATIVE),,all)
	LODGER_BUILD=$(abspath $(B)) tools/lodger-run $(if $(NATIVE),--native) --mem $(DEBIAN_MEM) \
		--kernel $(ROOTFS)/Image --initrd $(ROOTFS)/initrd.gz \
		--disk $(ROOTFS)/debian-stable.img --net --append "$(DEBIAN_APPEND)"

# Not part of make test: it needs the Debian archive and takes minutes.
test-debian: rootfs $(if $(NATIVE),,all)
	LODGER_BUILD=$(abspath $(B)) LODGER_CACHE=$(CACHE) tests/debian/check-debian \
		$(if $(NATIVE),--native) --mem $(DEBIAN_MEM)

# The bare-metal demo guest.
run-hello: deps all
	LODGER_BUILD=$(abspath $(B)) tools/lodger-run --kernel $(B)/guests/hello.bin

test: deps all test-host-bins fuzz-bins $(B)/initrd.gz $(B)/disk/initrd.gz $(B)/net/initrd.gz \
		check-build
	LODGER_BUILD=$(abspath $(B)) python3 tests/run-tests.py

# The checking lodger (fast paths against their C twins) that make test runs.
.PHONY: check-build
check-build:
	@$(MAKE) --no-print-directory CHECK_FAST=1 B=$(B)-check $(B)-check/lodger.bin

# Benchmarks (tools/bench): a static Linux program built with Debian's
# riscv64-linux-gnu toolchain, in its own initramfs.
BENCH_CC := riscv64-linux-gnu-gcc

$(B)/bench/bench: tests/bench/bench.c
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(BENCH_CC) -O2 -static -std=gnu11 -Wall -Wextra -Werror -o $@ $<

# The I/O workloads need Debian's virtio modules (those of the disk and
# net steps): tests/bench/test.sh loads them when the command line asks.
BENCH_MODULES := virtio_mmio virtio_blk $(filter-out virtio_mmio,$(NET_MODULES))
$(B)/bench/initrd.gz: scripts/mkinitramfs scripts/busybox-applets scripts/kernel-modules \
		tests/bench/test.sh $(B)/bench/bench
	@mkdir -p $(B)/bench/mod
	scripts/kernel-modules $(B)/bench/mod $(BENCH_MODULES)
	scripts/mkinitramfs $@ $(B)/bench/bench tests/bench/test.sh $(BENCH_MODULES:%=$(B)/bench/mod/%.ko)

bench: deps $(B)/lodger.bin $(B)/bench/initrd.gz
	LODGER_BUILD=$(abspath $(B)) python3 tools/bench

# A long run (not part of make test): the Linux test script in a loop under
# lodger with 2 vCPUs on 2 harts for STRESS_SECONDS of guest time.
STRESS_SECONDS ?= 600
$(B)/stress/initrd.gz: scripts/mkinitramfs scripts/busybox-applets tests/linux/test.sh \
		tests/linux/stress.sh
	@mkdir -p $(dir $@)
	cp tests/linux/stress.sh $(B)/stress/test.sh
	cp tests/linux/test.sh $(B)/stress/linux-test.sh
	scripts/mkinitramfs $@ $(B)/stress/test.sh $(B)/stress/linux-test.sh

stress: deps all $(B)/stress/initrd.gz
	LODGER_BUILD=$(abspath $(B)) tools/lodger-run --mem 256 --vcpus 2 --smp 2 \
		--kernel $(LINUX_IMAGE) --initrd $(B)/stress/initrd.gz \
		--append "$(LINUX_APPEND) lodger.test=1 lodger.stress=$(STRESS_SECONDS)" \
		| tee $(B)/stress/console.log
	@grep -q "^stress: .* 0 differing" $(B)/stress/console.log

gdb: all
	@echo "QEMU waits for gdb on :1234; lodger's symbols: $(B)/lodger.elf"
	tools/lodger-run --kernel $(B)/guests/hello.bin -- -S -s & \
	sleep 1; gdb-multiarch -q -x tools/lodger.gdb $(B)/lodger.elf; kill %1

clean:
	rm -rf $(B) $(B)-check
