# Host fuzzing (libFuzzer, clang, with ASan and UBSan) of lodger's pure
# modules that read guest- or user-controlled input:
# tests/fuzz/fuzz_NAME.c -> $(B)/fuzz/fuzz_NAME, linked with the src/ files
# it fuzzes. Seed corpora: tests/fuzz/corpus/NAME/ (small files).
#   make fuzz                    each target for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=N     N seconds each
#   make fuzz FUZZ_TARGETS="insn image"   only those
# New inputs go to $(B)/fuzz/corpus/NAME, crashes to $(B)/fuzz/crash-NAME-*.
# A crash found becomes a cmocka test in tests/host (DEVELOPERS.md).
# tests/run-tests.py fuzz (part of make test) runs each briefly on its seeds.
FUZZ_CC := clang
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIBS := -lfdt
FUZZ_SECONDS ?= 60
FUZZ_ALL := $(patsubst fuzz_%,%,$(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_TARGETS ?= $(FUZZ_ALL)
# The fuzzing guest's build that make test runs (see below).
FUZZ_GUEST_CI := $(B)/fuzz-guest/fuzz-1-100000.bin

# The src/ files each target is linked with.
$(B)/fuzz/fuzz_insn: src/core/insn.c
$(B)/fuzz/fuzz_emulate: src/core/emulate.c src/core/insn.c
$(B)/fuzz/fuzz_vcsr: src/core/vcsr.c
$(B)/fuzz/fuzz_guest_walk: src/core/guest_walk.c src/arch/riscv/pagetable.c
$(B)/fuzz/fuzz_image: src/core/image.c src/core/sha256.c src/dev/disk_slice.c
$(B)/fuzz/fuzz_hostdt: src/core/hostdt.c
$(B)/fuzz/fuzz_guest_dt: src/core/guest_dt.c src/dev/devtable.c
$(B)/fuzz/fuzz_uart: src/dev/uart.c
$(B)/fuzz/fuzz_console_mux: src/core/console_mux.c
$(B)/fuzz/fuzz_plic: src/dev/plic.c
$(B)/fuzz/fuzz_vq: src/dev/vq.c
$(B)/fuzz/fuzz_switch: src/io/switch.c
$(B)/fuzz/fuzz_guest_panic: src/core/guest_panic.c
$(B)/fuzz/fuzz_fast_path: src/first/fast_path.c src/core/guest_walk.c src/arch/riscv/pagetable.c
# The trap dispatcher and the SBI on the fakes test_trap shares (tests/host/host.mk).
$(B)/fuzz/fuzz_trap: $(TRAP_SRCS)

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(HOST_HEADERS) tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(FUZZ_LIBS)

# Seeds that are build outputs, not files in git: the image target's are
# VM images that tools/lodger-run packs from the hello guest, in
# $(B)/fuzz/seeds/image (used beside tests/fuzz/corpus/NAME where present).
FUZZ_IMAGE_SEEDS := $(B)/fuzz/seeds/image/hello.itb $(B)/fuzz/seeds/image/hello_initrd_2vcpus.itb \
	$(B)/fuzz/seeds/image/three_vms.itb
$(B)/fuzz/seeds/image/hello.itb: $(B)/guests/hello.bin tools/lodger-run
	@mkdir -p $(dir $@)
	@echo "  IMAGE  $@"; tools/lodger-run --kernel $< --image-out $@ --image-only
$(B)/fuzz/seeds/image/hello_initrd_2vcpus.itb: $(B)/guests/hello.bin tools/lodger-run
	@mkdir -p $(dir $@)
	@echo "  IMAGE  $@"; tools/lodger-run --kernel $< --initrd $< --vcpus 2 --mem 64 \
		--append "console=ttyS0" --image-out $@ --image-only
# Several VMs: shared and separate images, hart lists, the console claim.
$(B)/fuzz/seeds/image/three_vms.itb: $(B)/guests/hello.bin tools/lodger-run
	@mkdir -p $(dir $@)
	@echo "  IMAGE  $@"; tools/lodger-run --smp 4 --vm kernel=$<,mem=16,harts=0:2 \
		--vm kernel=$<,initrd=$<,mem=32,vcpus=3,console,append=console=ttyS0 \
		--vm kernel=$<,initrd=$<,mem=8,harts=3,first-portion=0xffffffc000000000 \
		--image-out $@ --image-only

.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ_ALL:%=$(B)/fuzz/fuzz_%) $(FUZZ_GUEST_CI) $(FUZZ_IMAGE_SEEDS)

# Each target in turn for FUZZ_SECONDS; stops at the first crash (its input
# is saved and named in the log, $(B)/fuzz/log-NAME).
fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%) $(FUZZ_IMAGE_SEEDS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz/corpus/$$t; \
		seeds=""; for d in tests/fuzz/corpus/$$t $(B)/fuzz/seeds/$$t; do \
			[ -d $$d ] && seeds="$$seeds $$d"; done; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		if ! $(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
				-artifact_prefix=$(B)/fuzz/crash-$$t- $(B)/fuzz/corpus/$$t \
				$$seeds > $(B)/fuzz/log-$$t 2>&1; then \
			tail -n 40 $(B)/fuzz/log-$$t; echo "fuzz: $$t crashed"; exit 1; \
		fi; \
		grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units)' $(B)/fuzz/log-$$t; \
	done; echo "fuzz: no crash in $(FUZZ_TARGETS)"

# The fuzzing guest (tests/guests/fuzz) built for SEED and OPS, run natively
# and under lodger, outputs compared batch by batch (tools/fuzz-guest):
#   make fuzz-guest SEED=7 OPS=1000000
# $(B)/fuzz-guest/fuzz-SEED-OPS.bin; make test runs fuzz-1-100000.bin
# (tests/run-tests.py fuzz). Not in tests/guests/NAME/main.c form, so that
# the guests step does not run it with its shorter timeout.
SEED ?= 1
OPS ?= 100000
.PRECIOUS: $(B)/fuzz-guest/fuzz-%.elf
FUZZ_GUEST_SRCS := tests/guests/fuzz/fuzz.c tests/guests/fuzz/stub.S $(GUEST_LIB)

$(B)/fuzz-guest/fuzz-%.elf: $(FUZZ_GUEST_SRCS) tests/guests/hostile/main.c \
		tests/guests/hostile/stub.S tests/guests/lib/guest.h tests/guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(GUEST_CFLAGS) -DFUZZ_SEED=$(word 1,$(subst -, ,$*))UL \
		-DFUZZ_OPS=$(word 2,$(subst -, ,$*))UL -o $@ $(FUZZ_GUEST_SRCS) -lc -lgcc

$(B)/fuzz-guest/fuzz-%.bin: $(B)/fuzz-guest/fuzz-%.elf
	@$(OBJCOPY) -O binary $< $@

.PHONY: fuzz-guest
fuzz-guest: $(B)/lodger.bin $(B)/fuzz-guest/fuzz-$(SEED)-$(OPS).bin
	LODGER_BUILD=$(abspath $(B)) python3 tools/fuzz-guest $(B)/fuzz-guest/fuzz-$(SEED)-$(OPS).bin
