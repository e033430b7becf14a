#!/bin/bash
# Host-mode payload for scripts/systemd-guest (the guest's /payload/run.sh, root, in
# cgharness-payload.service on a stock Debian 13 systemd host): runs the harness the ways users
# do and checks that it behaves as a citizen of systemd's tree. tests/host_mode.rs boots it and
# asserts each CHECK line of /payload/out/checks.txt ("CHECK <name> ok|FAIL <detail>").
#   sudo        `sudo cgharness run` from a user's login session: passes, runs in a transient
#               scope bound to the session, nothing left behind
#   stop        a Delegate=yes service running the harness, stopped with `systemctl stop`
#               mid-run: the harness dies by SIGTERM within seconds, no workload outlives it,
#               the system stays `running`
#   kill9       the harness SIGKILLed mid-run in a Delegate=yes service: the reaper removes
#               the run, its files and processes
#   pods        `sudo cgharness run guaranteed-fix`: passes, its kubepods tree inside the run's
#               own scope, a Guaranteed container at -997, nothing left; a node-pressure
#               scenario refused (exit 3, naming --allow-node-oom)
#   cap         a service with MemoryMax=100M and no Delegate=: the runs' transient scope
#               carries the cap (read back from its cgroup), the kernel kills at it
#   nonroot     a non-root --parent in a user manager's delegated scope and in a User=
#               Delegate=yes service; doctor names the delegation; limit-kill without the
#               kernel log passes with the kill line's figures not evaluated; an unwritable
#               --out is exit 2
#   audit       the cgroup tree and every cgroup.subtree_control are as they were before
set -u
. /payload/lib.sh

# The tree as systemd and everyone else see it: every cgroup with its subtree_control.
# Login sessions come and go with `su -l` (logind's own business): left out.
audit() {
  find /sys/fs/cgroup -type d | sort | grep -Ev '/session-[0-9]+\.scope' | while read -r d; do
    echo "$d [$(cat "$d/cgroup.subtree_control" 2>/dev/null)]"
  done
}

# systemd realises the controllers a Delegate=yes unit gets (io) on first use: do that once
# before the "before" picture, so the audit sees only what the harness changes.
loginctl enable-linger tester
systemd-run --quiet --wait -p Delegate=yes true
su -l tester -c true
# A non-root run talks to the user's manager over the user's D-Bus, which socket activation
# starts on first use (dbus.service in the user manager's session.slice), as for any program
# that uses it: start it before the picture too.
su -l tester -c 'busctl --user --no-pager status >/dev/null 2>&1'
sleep 1
audit > "$out/audit-before.txt"
echo "is-system-running: $(systemctl is-system-running)" | tee "$out/state-before.txt"

# --- sudo from a user's login session ------------------------------------------------------
echo "== sudo ($(elapsed))"
su -l tester -c "cd /var/tmp && sudo -n $bin run anon-oom --scale 1/16 --quiet --out /payload/out/sudo --data-dir /var/tmp" \
  > "$out/sudo.log" 2>&1
rc=$?
check sudo-exit "$([ $rc = 0 ]; echo $?)" "exit $rc"
grep -Eq '"mode": *"transient_scope"' /payload/out/sudo/record.json 2>/dev/null
check sudo-transient-scope $? "$(grep -Eo '"scope_unit": *"[^"]*"' /payload/out/sudo/record.json 2>/dev/null)"
grep -Eq '"bound_to": *"session-c?[0-9]+\.scope"' /payload/out/sudo/record.json 2>/dev/null
check sudo-bound-to-session $? "$(grep -Eo '"bound_to": *"[^"]*"' /payload/out/sudo/record.json 2>/dev/null)"
settle
left=$(leftovers)
check sudo-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"

# --- pods on a systemd host: the kubelet's tree inside the harness's own subtree -----------
echo "== pods ($(elapsed))"
su -l tester -c "cd /var/tmp && sudo -n $bin run guaranteed-fix --scale 1/16 --quiet --out /payload/out/pods --data-dir /var/tmp" \
  > "$out/pods.log" 2>&1
rc=$?
check pods-exit "$([ $rc = 0 ]; echo $?)" "exit $rc"
# The kubepods tree lived under the run's cgroup in the harness's transient scope, not at
# systemd's top level (where a real kubelet's kubepods.slice would be).
top=$(grep -Eo '"top_path": *"[^"]*"' /payload/out/pods/runs/run-0.json 2>/dev/null | head -1)
grep -Eq '"top_path": *"/sys/fs/cgroup/[^"]*/cgharness-[0-9]+\.scope/' <<<"$top"
check pods-in-own-scope $? "$top"
adj=$(grep -Eo '"oom_score_adj": *-?[0-9]+' /payload/out/pods/record.json 2>/dev/null | sort -u | tr '\n' ' ')
grep -q -- '-997' <<<"$adj"
check pods-negative-adj $? "$adj"
test ! -e /sys/fs/cgroup/kubepods.slice
check pods-no-top-level-kubepods $? "$(ls -d /sys/fs/cgroup/kubepods* 2>&1)"
settle
left=$(leftovers)
check pods-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"
# A node-pressure scenario on a host: refused with exit 3 and the way out, nothing created.
sudo -n $bin run node-oom-victim-order --scale 1/16 --quiet --out /payload/out/node > "$out/node.log" 2>&1
rc=$?
grep -q -- '--allow-node-oom' "$out/node.log"
check pods-node-pressure-refused "$([ $rc = 3 ] && grep -q -- '--allow-node-oom' "$out/node.log"; echo $?)" "exit $rc: $(head -c 300 "$out/node.log")"

# --- a Delegate=yes service stopped mid-run -------------------------------------------------
echo "== stop ($(elapsed))"
systemd-run --quiet --unit=cgh-ci -p Delegate=yes -p WorkingDirectory=/var/tmp \
  $bin run memory-high-throttle --scale 1/16 --out /payload/out/stop --data-dir /var/tmp
for _ in $(seq 600); do pgrep -f "$bin workload" >/dev/null && break; sleep 0.1; done
pgrep -f "$bin workload" >/dev/null
check stop-workload-started $? "$(pgrep -af "$bin workload" | head -1)"
grep -q . /sys/fs/cgroup/system.slice/cgh-ci.service/cgharness-harness/cgroup.procs 2>/dev/null
check stop-harness-in-leaf $? "$(ls /sys/fs/cgroup/system.slice/cgh-ci.service/ 2>/dev/null | grep -v '\.' | tr '\n' ' ')"
s0=$(date +%s%N)
systemctl stop cgh-ci
s1=$(date +%s%N)
stop_ms=$(( (s1 - s0) / 1000000 ))
check stop-within-7s "$([ $stop_ms -lt 7000 ]; echo $?)" "systemctl stop took ${stop_ms} ms"
journalctl -q -u cgh-ci --no-pager > "$out/stop-journal.txt" 2>&1
grep -Eq 'Killed|status=15/TERM|Deactivated successfully' "$out/stop-journal.txt"
check stop-died-by-sigterm $? "$(grep -E 'status=|Deactivated|Failed' "$out/stop-journal.txt" | tail -2 | tr '\n' ' ')"
settle
left=$(leftovers)
check stop-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"
state=$(systemctl is-system-running)
check stop-system-running "$([ "$state" = running ]; echo $?)" "$state"

# --- the harness SIGKILLed mid-run: the reaper cleans up ------------------------------------
echo "== kill9 ($(elapsed))"
systemd-run --quiet --unit=cgh-k9 -p Delegate=yes -p KillMode=process -p WorkingDirectory=/var/tmp \
  $bin run page-cache-thrash --scale 1/16 --set file_size=64M --out /payload/out/kill9 --data-dir /var/tmp
main=$(systemctl show -p MainPID --value cgh-k9)
# Killed while a run's data file exists (it lives from before the workload starts until the
# run ends; a 4 MiB run is over in a moment, so wait for the file, not for the workload).
for _ in $(seq 1200); do ls /var/tmp/cgharness-page-cache-thrash-* >/dev/null 2>&1 && break; sleep 0.05; done
ls /var/tmp/cgharness-* > "$out/kill9-files-before.txt" 2>&1
kill -9 "$main"
sleep 1
systemctl reset-failed cgh-k9 2>/dev/null
settle
left=$(leftovers)
check kill9-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"
grep -q cgharness-page-cache-thrash "$out/kill9-files-before.txt"
check kill9-had-a-data-file $? "$(cat "$out/kill9-files-before.txt")"
systemctl reset-failed cgh-k9 2>/dev/null

# --- a capped service that delegates nothing: its MemoryMax= holds for the runs -------------
echo "== cap ($(elapsed))"
systemd-run --quiet --wait --pipe --unit=cgh-cap -p MemoryMax=100M -p WorkingDirectory=/var/tmp \
  $bin run limit-kill --scale 1/16 --out /payload/out/cap --data-dir /var/tmp > "$out/cap.log" 2>&1
rc=$?
systemctl reset-failed cgh-cap 2>/dev/null
rec=/payload/out/cap/record.json
grep -Eq '"caller_unit": *"cgh-cap.service"' $rec 2>/dev/null \
  && tr -d ' \n' < $rec | grep -q '"file":"memory.max","caller":"104857600","scope":"104857600"'
check cap-carried-to-scope $? "exit $rc: $(tr -d ' \n' < $rec 2>/dev/null | grep -o '"carried":\[[^]]*\]' | head -c 300)"
# The kernel's own word: the OOM was the scope's (the carried 100M), the victim held ≤ 100M.
kill=$(grep -o 'oom-kill:[^"]*' /payload/out/cap/runs/run-0.json 2>/dev/null | head -1)
rss=$(grep -o 'anon-rss:[0-9]*kB' /payload/out/cap/runs/run-0.json 2>/dev/null | head -1 | tr -dc 0-9)
grep -q 'oom_memcg=/system.slice/cgharness-[0-9]*.scope' <<<"$kill" && [ -n "$rss" ] && [ "$rss" -le 102400 ]
check cap-held-by-the-kernel $? "anon-rss ${rss:-?} kB; $kill"
grep -q 'is 100.0 MiB, below the 200.0 MiB this scenario sets' "$out/cap.log"
check cap-warned $? "$(grep -m1 'memory.max of' "$out/cap.log")"
settle
left=$(leftovers)
check cap-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"

# --- non-root: --parent in a subtree delegated by the user manager and by a User= service ---
echo "== nonroot ($(elapsed))"
mkdir -p /payload/out/nr && chown tester /payload/out/nr
# The process's own cgroup, expanded by the sh that runs inside the unit (escaped once more
# for the shell su starts).
own='/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)'
own_su='/sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup)'
su -l tester -c "cd /var/tmp && systemd-run --user --quiet --scope -p Delegate=yes sh -c \"exec $bin run anon-oom --scale 1/16 --quiet --out /payload/out/nr/scope --data-dir /var/tmp --parent $own_su\"" > "$out/nr-scope.log" 2>&1
rc=$?
grep -Eq '"mode": *"given_parent"' /payload/out/nr/scope/record.json 2>/dev/null
check nonroot-parent-in-user-scope "$([ $rc = 0 ] && grep -Eq '"mode": *"given_parent"' /payload/out/nr/scope/record.json; echo $?)" "exit $rc: $(tail -2 "$out/nr-scope.log" | tr '\n' ' ')"
su -l tester -c "systemd-run --user --quiet --scope -p Delegate=yes $bin doctor" > "$out/nr-doctor.log" 2>&1
grep -q 'Delegate=yes' "$out/nr-doctor.log" && grep -q 'user@1000.service/app.slice/run-' "$out/nr-doctor.log"
check nonroot-doctor-names-delegation $? "$(grep -m1 placement "$out/nr-doctor.log")"
systemd-run --quiet --wait --pipe --unit=cgh-user-svc -p User=tester -p Delegate=yes -p WorkingDirectory=/var/tmp \
  sh -c "exec $bin run anon-oom --scale 1/16 --quiet --out /payload/out/nr/svc --data-dir /var/tmp --parent $own" > "$out/nr-svc.log" 2>&1
rc=$?
systemctl reset-failed cgh-user-svc 2>/dev/null
check nonroot-parent-in-user-service "$([ $rc = 0 ]; echo $?)" "exit $rc: $(tail -2 "$out/nr-svc.log" | tr '\n' ' ')"
# limit-kill without the kernel log: the kill is seen, the kill line's figures are not
# evaluated (no FAIL), the constraint comes from memory.events.
su -l tester -c "cd /var/tmp && $bin run limit-kill --scale 1/16 --out /payload/out/nr/lk --data-dir /var/tmp" > "$out/nr-lk.log" 2>&1
rc=$?
check nonroot-limit-kill-passes "$([ $rc = 0 ] && ! grep -q '✗' "$out/nr-lk.log"; echo $?)" "exit $rc: $(grep -E 'PASS|FAIL|NOT EVAL' "$out/nr-lk.log" | tail -1)"
grep -q 'not evaluated: needs the kernel log' "$out/nr-lk.log" && grep -q 'CONSTRAINT_MEMCG' "$out/nr-lk.log"
check nonroot-limit-kill-says-why $? "$(grep -m1 'not evaluated' "$out/nr-lk.log")"
su -l tester -c "cd /var/tmp && $bin run anon-oom --scale 1/16 --out /root/nope" > "$out/nr-out.log" 2>&1
rc=$?
check nonroot-unwritable-out "$([ $rc = 2 ] && grep -q -- '--out' "$out/nr-out.log"; echo $?)" "exit $rc: $(head -c 300 "$out/nr-out.log")"
settle
left=$(leftovers)
check nonroot-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"

# --- the audit ------------------------------------------------------------------------------
echo "== audit ($(elapsed))"
sleep 1
audit > "$out/audit-after.txt"
diff "$out/audit-before.txt" "$out/audit-after.txt" > "$out/audit-diff.txt"
check audit-tree-unchanged $? "$(head -c 600 "$out/audit-diff.txt" | tr '\n' ' ')"
state=$(systemctl is-system-running)
check system-running "$([ "$state" = running ]; echo $?)" "$state"
echo "total $(elapsed)"
! grep -q ' FAIL ' "$checks"
