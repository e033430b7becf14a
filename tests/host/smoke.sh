#!/bin/bash
# Smoke payload for scripts/systemd-guest (the guest's /payload/run.sh; root, in
# cgharness-payload.service). Records what a stock Debian 13 systemd host looks like to the
# harness and how to reach each execution context from a root service, each verified by
# reading /proc/self/cgroup in it:
#   (a) a root login session        (b) sudo from tester's login session
#   (c) system services/scopes with and without Delegate=yes
#   (d) tester's user manager: delegated scope and service
#   (e) a CI-runner-shaped service (User=tester, KillMode=process), and sudo inside it
# and runs `cgharness doctor` (from /payload/cgharness, if present) as root and as tester.
# Output: this script's stdout (run.log) and /payload/out/contexts.txt. Exits 1 when a context
# did not land where its recipe says.
set -u
out=/payload/out
ctx="$out/contexts.txt"
: > "$ctx"
fail=0

# The probe runs inside each context: its cgroup and each ancestor's delegate xattrs,
# cgroup.controllers and cgroup.subtree_control. trusted.* needs CAP_SYS_ADMIN to read, so a
# non-root probe reads xattrs through `sudo -n` (Debian's sudo has no pam_systemd: same cgroup).
cat > /run/cgh-probe <<'EOF'
#!/bin/bash
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
echo "id: $(id)"
echo "cgroup: $cg"
gx() { if [ "$(id -u)" = 0 ]; then getfattr --absolute-names --only-values -n "$1" "$2" 2>/dev/null
       else sudo -n getfattr --absolute-names --only-values -n "$1" "$2" 2>/dev/null; fi; }
p=$cg
while :; do
  d=/sys/fs/cgroup$p
  printf '  %-60s trusted.delegate=%-2s user.delegate=%-2s controllers=[%s] subtree_control=[%s]\n' \
    "${p:-/}" "$(gx trusted.delegate "$d" || true)" "$(gx user.delegate "$d" || true)" \
    "$(cat "$d/cgroup.controllers" 2>/dev/null)" "$(cat "$d/cgroup.subtree_control" 2>/dev/null)"
  [ -z "$p" ] || [ "$p" = / ] && break
  p=${p%/*}
done
EOF
chmod 755 /run/cgh-probe

# ctx LABEL EXPECT_REGEX COMMAND...: runs COMMAND (which runs the probe in the context),
# times it, checks the probe's cgroup line against EXPECT_REGEX.
context() {
  local label=$1 expect=$2; shift 2
  local t0 t1 o rc
  t0=$(date +%s%N)
  o=$("$@" 2>&1); rc=$?
  t1=$(date +%s%N)
  {
    echo "== $label"
    echo "recipe: $*"
    echo "time: $(( (t1 - t0) / 1000000 )) ms, exit $rc"
    echo "$o"
    if grep -Eq "^cgroup: $expect\$" <<<"$o"; then echo "verdict: ok (cgroup matches $expect)"
    else echo "verdict: UNEXPECTED (wanted cgroup matching $expect)"; fi
    echo
  } | tee -a "$ctx"
  grep -Eq "^cgroup: $expect\$" <<<"$o" || fail=1
}

echo "== host facts"
echo "is-system-running: $(systemctl is-system-running)"
systemctl --version | head -1
uname -r
echo "self: $(cat /proc/self/cgroup)"
echo "id: $(id)"
grep cgroup2 /proc/mounts
echo "root cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "root cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
for k in kernel.dmesg_restrict vm.nr_hugepages vm.swappiness; do echo "$k = $(sysctl -n $k)"; done
echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
echo "swaps:"; cat /proc/swaps
echo

# (a) root login session: su -l goes through PAM's common-session, whose pam_systemd asks
# logind for a session; logind makes session-N.scope and moves the process into it.
context "a: root login session (su -l root)" '/user\.slice/user-0\.slice/session-[0-9]+\.scope' \
  su -l root -c /run/cgh-probe
context "a': run0 (systemd 256+)" '.*' run0 --pipe /run/cgh-probe
context "a'': systemd-run -p PAMName=login (service with a PAM session)" '.*' \
  systemd-run --quiet --wait --pipe -p PAMName=login -p User=root /run/cgh-probe

# (b) sudo from the user's login session: sudo's PAM stack (common-session-noninteractive)
# has no pam_systemd, so it stays in the user's session scope.
context "b0: tester login session (su -l tester)" '/user\.slice/user-1000\.slice/session-[0-9]+\.scope' \
  su -l tester -c /run/cgh-probe
context "b: sudo from tester's login session" '/user\.slice/user-1000\.slice/session-[0-9]+\.scope' \
  su -l tester -c 'sudo -n /run/cgh-probe'

# (c) system services and scopes
context "c1: system service, no delegation" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe /run/cgh-probe
context "c2: system service, Delegate=yes" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p Delegate=yes /run/cgh-probe
context "c3: system service, Delegate=cpu io memory pids" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p 'Delegate=cpu io memory pids' /run/cgh-probe
context "c4: system scope, Delegate=yes (systemd-run --scope)" '/system\.slice/run-.*\.scope' \
  systemd-run --quiet --scope -p Delegate=yes /run/cgh-probe
context "c5: transient scope from a login session (sudo systemd-run --scope)" '/system\.slice/run-.*\.scope' \
  su -l tester -c 'sudo -n systemd-run --quiet --scope -p Delegate=yes /run/cgh-probe'

# (d) tester's user manager (user@1000.service). From a login session: systemd-run --user.
context "d1: tester user scope, Delegate=yes, from a login session" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.scope' \
  su -l tester -c 'systemd-run --user --quiet --scope -p Delegate=yes /run/cgh-probe'
context "d2: tester user service, Delegate=yes, from a login session" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.service' \
  su -l tester -c 'systemd-run --user --quiet --wait --pipe -p Delegate=yes /run/cgh-probe'
# Without a session: linger keeps user@1000.service running; reach it with --machine=tester@.
loginctl enable-linger tester
for _ in $(seq 100); do systemctl is-active -q user@1000.service && break; sleep 0.2; done
context "d3: tester user service via linger + --machine=tester@.host (no session)" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.service' \
  systemd-run --machine=tester@.host --user --quiet --wait --pipe -p Delegate=yes /run/cgh-probe
context "d4: tester user scope via linger + runuser + XDG_RUNTIME_DIR (no session)" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.scope' \
  runuser -u tester -- env XDG_RUNTIME_DIR=/run/user/1000 systemd-run --user --quiet --scope -p Delegate=yes /run/cgh-probe
echo "user@1000.service: $(systemctl show -p Delegate -p DelegateControllers user@1000.service | tr '\n' ' ')"
loginctl disable-linger tester

# (e) a CI runner: a system service running as the user, KillMode=process, its jobs its children.
context "e1: CI-runner-shaped service (User=tester, KillMode=process)" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p User=tester -p KillMode=process /run/cgh-probe
context "e2: sudo inside the CI-runner-shaped service" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p User=tester -p KillMode=process sudo -n /run/cgh-probe

echo "== logind sessions now"; loginctl list-sessions --no-legend
echo "== dmesg as tester: $(runuser -u tester -- dmesg 2>&1 | head -1)"
echo

if [ -x /payload/cgharness ]; then
  echo "== cgharness doctor as root (in cgharness-payload.service)"
  /payload/cgharness doctor; echo "exit $?"
  echo
  echo "== cgharness doctor as tester in a login session (su -l tester)"
  su -l tester -c '/payload/cgharness doctor'; echo "exit $?"
  echo
  echo "== sudo cgharness doctor from tester's login session"
  su -l tester -c 'sudo -n /payload/cgharness doctor'; echo "exit $?"
  echo
else
  echo "== no /payload/cgharness: doctor skipped"
fi

echo "== failed units"; systemctl --failed --no-legend
echo "smoke: $( [ $fail = 0 ] && echo all contexts as expected || echo SOME CONTEXTS UNEXPECTED)"
exit $fail
