#!/bin/sh
# Runs inside a Linux guest (initramfs /test.sh, started by /init when the
# command line has lodger.test=1) with a virtio-blk disk (/dev/vda), natively
# and under lodger: Linux's own virtio driver (interrupts, indirect
# descriptors, event index, FLUSH on fsync) against lodger's device.
# Like the vblk_persist guest it keeps its progress on the disk: stage 0
# writes 2 MiB with dd (fsync), a marker, and reboots; stage 1 (after the
# reboot) and stage 2 (after a restart) read it back with the page cache
# dropped and O_DIRECT. The disk must be 16 MiB or more (data at 2 MiB,
# the marker at 4 MiB). tests/run-tests.py (step "disk") checks the lines.
dmesg -n 1
echo "=== begin: linux disk ==="
insmod /virtio_mmio.ko && insmod /virtio_blk.ko
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done
echo "case disk: $(cat /sys/block/vda/size) sectors, read-only $(cat /sys/block/vda/ro)"
seq 1 400000 | head -c 2097152 > /tmp/data
marker=$(dd if=/dev/vda bs=4096 skip=1024 count=1 2>/dev/null | head -c 15)
case "$marker" in
LODGER-STAGE-1-) stage=1 ;;
LODGER-STAGE-2-) stage=2 ;;
*) stage=0 ;;
esac
echo "case stage: $stage"
mark() { printf "LODGER-STAGE-$1-" | dd of=/dev/vda bs=4096 seek=1024 conv=sync,fsync 2>/dev/null; }
if [ $stage = 0 ]; then
    dd if=/tmp/data of=/dev/vda bs=65536 seek=32 conv=fsync 2>/dev/null
    echo "case wrote: $(md5sum < /tmp/data)"
    mark 1 || { echo "FAIL cannot write the marker"; echo "=== end: FAIL ==="; exit 1; }
    echo "=== rebooting ==="
    reboot -f
    sleep 60
fi
echo 3 > /proc/sys/vm/drop_caches
echo "case read back (page cache): $(dd if=/dev/vda bs=65536 skip=32 count=32 2>/dev/null | md5sum)"
echo "case read back (O_DIRECT): $(dd if=/dev/vda bs=65536 skip=32 count=32 iflag=direct 2>/dev/null | md5sum)"
echo "case expected: $(md5sum < /tmp/data)"
[ $stage = 1 ] && mark 2
echo "case dmesg_clean: $(dmesg | grep -c -E 'WARNING|BUG|Oops|I/O error|Call Trace')"
echo "=== end: PASS ==="
