#!/bin/sh
# Runs inside a Linux VM with a network card (initramfs /test.sh, started
# by /init with lodger.test=1; tests/run-tests.py net). Its command line
# says what it does:
#   net.tag=T      each line it prints starts "[T] "
#   net.role=a     10.0.3.1/24: waits until 10.0.3.2 answers pings, pings it
#                  5 times (some must answer), then sends it 168894 bytes over TCP and checks
#                  what comes back (a TCP echo through lodger's switch)
#   net.role=b     10.0.3.2/24: echoes one TCP connection on port 7777
#                  (busybox nc -e /net-echo.sh: head -c of the size, tee'd)
#   net.role=dhcp  asks QEMU's user network (through the board's card) for a
#                  lease, then sends a line to the host's loopback listener
#                  at 10.0.2.2:net.port and prints the reply
dmesg -n 1
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
tag=$(arg net.tag)
role=$(arg net.role)
say() { echo "[$tag] $*"; }
size=168894     # seq 1 30000
say "=== begin: net $role ==="
for m in failover net_failover virtio_mmio virtio_net; do
    insmod /$m.ko || say "FAIL insmod $m"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
say "case eth0: $(cat /sys/class/net/eth0/address 2>/dev/null || echo missing)"
ip link set lo up
ip link set eth0 up
fail=0
case "$role" in
a)
    ip addr add 10.0.3.1/24 dev eth0
    ok=0
    for i in $(seq 1 90); do
        if ping -c 1 -W 1 10.0.3.2 > /dev/null 2>&1; then ok=1; break; fi
    done
    say "case reach: $ok"
    # How many of 5 pings come back depends on timing (the switch drops a
    # frame when the peer has no receive buffer posted, as a real link
    # may): the case line says only whether any did; the count is for the
    # log. TCP below checks that sustained traffic gets through intact.
    answered=$(ping -c 5 -W 2 10.0.3.2 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
    say "ping: ${answered:-0} of 5 answered"
    [ "${answered:-0}" -gt 0 ] && say "case ping: answered" || { say "case ping: no answer"; fail=1; }
    seq 1 30000 > /tmp/data
    for i in $(seq 1 20); do
        nc -w 10 10.0.3.2 7777 < /tmp/data > /tmp/back 2>/dev/null
        [ -s /tmp/back ] && break
        sleep 1
    done
    say "case tcp_sent: $(md5sum < /tmp/data)"
    say "case tcp_echoed: $(wc -c < /tmp/back) bytes, $(md5sum < /tmp/back)"
    cmp -s /tmp/data /tmp/back || fail=1
    [ $ok = 1 ] || fail=1
    ;;
b)
    printf '#!/bin/sh\nhead -c %s | tee /tmp/got\n' $size > /net-echo.sh
    chmod +x /net-echo.sh
    nc -l -p 7777 -e /net-echo.sh &
    listener=$!
    ip addr add 10.0.3.2/24 dev eth0
    wait $listener
    say "case tcp_received: $(wc -c < /tmp/got) bytes, $(md5sum < /tmp/got)"
    [ "$(wc -c < /tmp/got)" = $size ] || fail=1
    ;;
dhcp)
    printf '#!/bin/sh\ncase "$1" in bound|renew)\n  ip addr add $ip/${mask:-24} dev $interface\n  [ -n "$router" ] && ip route add default via ${router%%%% *} dev $interface;;\nesac\nexit 0\n' > /dhcp.sh
    chmod +x /dhcp.sh
    udhcpc -i eth0 -n -q -t 20 -T 1 -s /dhcp.sh > /dev/null 2>&1 || fail=1
    say "case lease: $(ip -4 addr show eth0 | grep -o 'inet [0-9.]*')"
    say "case route: $(ip route | grep -o 'default via [0-9.]*')"
    reply=$(echo "hello from $tag" | nc -w 10 10.0.2.2 "$(arg net.port)")
    say "case host: $reply"
    [ -n "$reply" ] || fail=1
    ;;
esac
[ "$(dmesg | grep -c -E 'WARNING|BUG|Oops|Call Trace')" = 0 ] || { say "FAIL: dmesg"; fail=1; }
[ $fail = 0 ] && say "=== end: PASS ===" || say "=== end: FAIL ==="
