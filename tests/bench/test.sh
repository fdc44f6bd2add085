#!/bin/sh
# /test.sh of the benchmark initramfs (tools/bench packs it with /bench): runs
# /bench with the arguments given as lodger.bench=A,B,... on the kernel
# command line, so that one initramfs serves every boot of the suite. For
# the I/O workloads it first loads Debian's virtio modules (as
# tests/linux/disk.sh and tests/net/test.sh do): disk_* want /dev/vda,
# net_send eth0 on QEMU's user network with the address its DHCP would give
# (10.0.2.15; static, so that no DHCP client runs beside the workload).
dmesg -n 1
args=$(sed -n 's/.*lodger\.bench=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
mods=
case " $args" in *" disk_"*) mods="virtio_mmio virtio_blk" ;; esac
case " $args" in *" net_"*) mods="$mods failover net_failover virtio_mmio virtio_net" ;; esac
loaded=
for m in $mods; do
    case " $loaded " in *" $m "*) continue ;; esac
    insmod /$m.ko || echo "bench: cannot load $m"
    loaded="$loaded $m"
done
case " $args" in *" disk_"*)
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done ;;
esac
case " $args" in *" net_"*)
    i=0
    while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>/dev/null
    ip link set lo up
    ip link set eth0 up
    ip addr add 10.0.2.15/24 dev eth0 ;;
esac
echo "=== bench begin ==="
/bench --settle $args
echo "=== bench end: status $? ==="
