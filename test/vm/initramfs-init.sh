#!/bin/busybox sh
# mcr-vm stage 1, the initramfs's /init (busybox only): load the modules that reach the host's files,
# mount the host's root read-only (9p tag "root") under a writable tmpfs overlay as the new root,
# mount the run directory (tag "run") at /run/mcr-vm, and hand over to stage 2 from there
# (test/vm/guest-init.sh, which the runner copies into the run directory).
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "mcr-vm: stage 1: $*"
  poweroff -f
}

mount -t proc proc /proc
mount -t devtmpfs dev /dev
# The runner waits for this line to know the accelerator works (KVM nested in a VM may hang before it).
echo "mcr-vm: guest kernel $(uname -r) up"
for m in $(cat /modules.order); do
  insmod "/modules/$m" || fail "insmod $m"
done

p9=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /lower /upper /newroot
mount -t 9p -o "$p9,ro,cache=loose" root /lower || fail 'mount the host root (9p tag root)'
mount -t tmpfs -o mode=0755 upper /upper || fail 'tmpfs for the overlay'
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work root /newroot || fail 'overlay root'
mount -t tmpfs -o mode=0755 run /newroot/run || fail 'tmpfs /run'
mkdir -p /newroot/run/mcr-vm
mount -t 9p -o "$p9" run /newroot/run/mcr-vm || fail 'mount the run directory (9p tag run)'
umount /proc
exec switch_root /newroot /bin/sh /run/mcr-vm/guest-init.sh
