# Runs the kernel's test_memcontrol in a cgharness VM guest (busybox sh; see scripts/selftests).
#   selftests.guest.sh RUNS [CGROUP2_MOUNT_OPTS]
# The guest init mounts cgroup2 at /sys/fs/cgroup (no options), swap on a virtio disk and
# ext4 at /data, and starts us in /out (the initramfs: ramfs). test_memcontrol makes its
# O_TMPFILE page cache in its cwd, which must be a disk filesystem (on ramfs/tmpfs the pages
# would be shmem, reclaimable only to swap), so it runs in /data/selftest.
# Writes /out/facts.txt and, per run K, run-K.tap (stdout), run-K.err, run-K.rc,
# run-K.ms (guest CLOCK_BOOTTIME ms of the run) and run-K.dmesg (kernel log of the run).
set -eu
mkdir -p /bin /usr/bin /sbin /usr/sbin
/cgharness/bin/busybox --install -s /bin
# test_memcg_sock resolves "localhost" with getaddrinfo (static glibc: files, then dns);
# the initramfs has no /etc/hosts, so give it the usual one.
mkdir -p /etc
[ -e /etc/hosts ] || printf '127.0.0.1 localhost\n::1 localhost\n' >/etc/hosts
runs=${1:-1}
opts=${2:-}
if [ -n "$opts" ]; then
  mount -o "remount,$opts" /sys/fs/cgroup
fi
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
{
  echo "release $(uname -r)"
  echo "cgroup2_mount $(grep ' cgroup2 ' /proc/mounts)"
  echo "cwd_mount $(grep ' /data ' /proc/mounts)"
  echo "swap_kb $(awk 'NR > 1 { s += $3 } END { print s + 0 }' /proc/swaps)"
  echo "mem_total_kb $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
  echo "thp_enabled $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
  echo "lru_gen_enabled $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
  echo "nproc $(nproc)"
  echo "root_subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
} >/out/facts.txt
mkdir -p /data/selftest
cd /data/selftest
dmesg -c >/out/boot.dmesg
i=1
while [ "$i" -le "$runs" ]; do
  start=$(uptime_ms)
  rc=0
  /cgharness/bin/test_memcontrol >"/out/run-$i.tap" 2>"/out/run-$i.err" || rc=$?
  end=$(uptime_ms)
  echo "$rc" >"/out/run-$i.rc"
  echo $((end - start)) >"/out/run-$i.ms"
  dmesg -c >"/out/run-$i.dmesg"
  echo "selftests: run $i of $runs: exit $rc in $((end - start)) ms"
  cat "/out/run-$i.tap"
  i=$((i + 1))
done
