mkdir -p /bin /usr/bin /sbin /usr/sbin; /cgharness/bin/busybox --install -s /bin

cd /sys/fs/cgroup
echo "+memory +io +cpu +pids +hugetlb" > cgroup.subtree_control
mkdir fx
echo 64M > fx/memory.max
echo 1G > fx/memory.swap.max
echo $$ > fx/cgroup.procs
dd if=/dev/urandom of=/data/f bs=1M count=48 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
cat /data/f > /dev/null
dd if=/dev/urandom of=/dev/null bs=120M count=1 2>/dev/null
echo 0 > fx/memory.swap.max
dd if=/dev/zero of=/dev/null bs=200M count=1
echo "dd exit: $?"
echo $$ > /sys/fs/cgroup/cgroup.procs
sleep 1
mkdir -p /out/fx /out/root
for f in fx/*; do cat $f > /out/fx/$(basename $f) 2>/dev/null || rm -f /out/fx/$(basename $f); done
for f in cgroup.controllers cgroup.subtree_control cgroup.stat memory.stat memory.pressure io.pressure cpu.pressure io.stat cpu.stat memory.numa_stat; do cat $f > /out/root/$f 2>/dev/null || rm -f /out/root/$f; done
dmesg > /out/dmesg.txt
cat /proc/vmstat > /out/vmstat.txt
cat /proc/meminfo > /out/meminfo.txt
uname -r > /out/release
