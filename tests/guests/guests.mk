# Bare-metal test guests: tests/guests/NAME/*.c -> build/guests/NAME.bin,
# each linked at 0x80200000 so that it boots natively (QEMU -kernel under
# OpenSBI) and under lodger alike.
GUEST_NAMES := $(notdir $(patsubst %/,%,$(dir $(wildcard tests/guests/*/main.c))))
GUEST_LIB := $(wildcard tests/guests/lib/*.c tests/guests/lib/*.S)
GUEST_CFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -std=gnu11 -O2 -g -ffreestanding \
	-fno-stack-protector -Wall -Wextra -Werror -nostartfiles -static \
	-T tests/guests/lib/guest.ld -Wl,--no-warn-rwx-segments

.PHONY: guests
guests: $(GUEST_NAMES:%=$(B)/guests/%.bin)

# tests/guests/shared/: pieces some guests #include (not linked into all).
GUEST_SHARED := $(wildcard tests/guests/shared/*)

$(B)/guests/%.elf: tests/guests/%/main.c $(GUEST_LIB) $(wildcard tests/guests/lib/*.h) tests/guests/lib/guest.ld \
		$(GUEST_SHARED)
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(GUEST_CFLAGS) -o $@ $(filter %.c %.S,$^) -lc -lgcc

# A guest's other .c and .S files (a pattern rule cannot glob them).
$(foreach g,$(GUEST_NAMES),$(eval $(B)/guests/$(g).elf: \
	$(filter-out tests/guests/$(g)/main.c,$(wildcard tests/guests/$(g)/*.c tests/guests/$(g)/*.S))))

$(B)/guests/%.bin: $(B)/guests/%.elf
	@$(OBJCOPY) -O binary $< $@
