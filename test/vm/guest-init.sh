#!/bin/sh
# mcr-vm stage 2, run by the host's /bin/sh as the guest's pid 1 on the overlay root: the usual virtual
# filesystems, the guest kernel's modules (bind-mounted from the runner's cache), the shared directories
# writable over 9p, then the one command from /run/mcr-vm/command with its output on the console. Its exit
# status goes to /run/mcr-vm/status, which the runner reads after the guest powers off.
# /run/mcr-vm/config sets MCR_VM_MODULES_DIR, MCR_VM_LOAD, MCR_VM_SHARES (tag=path ...) and MCR_VM_CWD.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN=/run/mcr-vm
say() { echo "mcr-vm: $*"; }
finish() {
  echo "$1" > "$RUN/status"
  sync
  poweroff -f >/dev/null 2>&1
  echo o > /proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
stty -onlcr 2>/dev/null
dmesg -n 3 2>/dev/null
. "$RUN/config"

# modprobe finds the guest kernel's modules under /lib/modules/$(uname -r).
mkdir -p "/lib/modules/$(uname -r)"
mount --bind "$MCR_VM_MODULES_DIR" "/lib/modules/$(uname -r)" || { say "no modules at $MCR_VM_MODULES_DIR"; finish 125; }
for m in $MCR_VM_LOAD; do modprobe "$m" || say "modprobe $m failed"; done

p9=trans=virtio,version=9p2000.L,msize=512000
for share in $MCR_VM_SHARES; do
  tag=${share%%=*} path=${share#*=}
  mount -t 9p -o "$p9" "$tag" "$path" || { say "cannot mount $path (9p tag $tag)"; finish 125; }
done

ip link set lo up
hostname mcr-vm
cd "$MCR_VM_CWD" || finish 125
# Through a pipe, so the command sees no terminal (plain output, as in CI). Processes it leaves behind
# may hold the pipe open: the guest powers off once the command itself has exited, not when they do.
mkfifo /run/mcr-vm.out
cat /run/mcr-vm.out &
read -r up _ < /proc/uptime
say "running the command (guest up ${up} s)"
env -i MCRVM_GUEST=1 sh -c '. /run/mcr-vm/env; exec sh /run/mcr-vm/command' </dev/null >/run/mcr-vm.out 2>&1 &
wait $!
status=$?
sleep 1
read -r up _ < /proc/uptime
say "command exited $status (guest up ${up} s)"
finish $status
