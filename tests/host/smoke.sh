#!/bin/bash
# Smoke payload for scripts/systemd-guest (the guest's /payload/run.sh; root, in
# cgharness-payload.service). Records what a stock Debian 13 systemd host looks like to the
# harness and how to reach each execution context from a root service, each verified by
# reading /proc/self/cgroup in it:
#   (a) a root login session        (b) sudo from tester's login session
#   (c) system services/scopes with and without Delegate=yes
#   (d) tester's user manager: delegated scope and service, from a session and via linger
#   (e) a CI-runner-shaped service (User=tester, KillMode=process), and sudo inside it
# and runs `cgharness doctor` (from /payload/cgharness, if present) as root, as tester in a
# login session and with sudo from it. Output: stdout (run.log) and /payload/out/contexts.txt.
# Exits 1 when a context did not land where its recipe says.
set -u
out=/payload/out
export CTX=$out/contexts.txt
: > "$CTX"
fail=0

# The probe runs inside each context: its cgroup, the unit's Delegate= properties, and each
# ancestor's delegate xattrs, cgroup.controllers and cgroup.subtree_control. trusted.* needs
# CAP_SYS_ADMIN to read, so a non-root probe reads xattrs through `sudo -n` (Debian's sudo has
# no pam_systemd: same cgroup). It lives on the (snapshot) root fs: /run is noexec.
cat > /usr/local/bin/cgh-probe <<'EOF'
#!/bin/bash
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
echo "id: $(id)"
echo "cgroup: $cg"
unit=${cg##*/}
if [ "$(id -u)" = 0 ]; then sc=(systemctl); else sc=(systemctl --user); fi
case $cg in */user@*.service/*) [ "$(id -u)" = 0 ] && sc=() ;; esac  # root: not its manager
[ ${#sc[@]} -gt 0 ] && echo "unit $unit: $("${sc[@]}" show -p Delegate -p DelegateControllers "$unit" 2>&1 | tr '\n' ' ')"
asroot() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
echo "xattrs of the leaf: $(asroot getfattr --absolute-names -d -m - "/sys/fs/cgroup$cg" 2>&1 | grep -v '^#' | tr '\n' ' ')"
p=$cg
while :; do
  d=/sys/fs/cgroup$p
  printf '  %-60s trusted.delegate=%-2s user.delegate=%-2s controllers=[%s] subtree_control=[%s]\n' \
    "${p:-/}" \
    "$(asroot getfattr --absolute-names --only-values -n trusted.delegate "$d" 2>/dev/null)" \
    "$(asroot getfattr --absolute-names --only-values -n user.delegate "$d" 2>/dev/null)" \
    "$(cat "$d/cgroup.controllers" 2>/dev/null)" "$(cat "$d/cgroup.subtree_control" 2>/dev/null)"
  [ -z "$p" ] || [ "$p" = / ] && break
  p=${p%/*}
done
EOF
chmod 755 /usr/local/bin/cgh-probe

# context LABEL EXPECT_REGEX COMMAND...: runs COMMAND (which runs the probe in the context),
# times it, checks the probe's cgroup line against EXPECT_REGEX, appends to $CTX.
cat > /usr/local/lib/cgh-context.sh <<'EOF'
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
  } | tee -a "$CTX"
  grep -Eq "^cgroup: $expect\$" <<<"$o" || fail=1
}
EOF
. /usr/local/lib/cgh-context.sh

# Everything a login session of tester is used for, in one session (each `su -l` of a user
# without linger starts and stops user@UID.service: 5-10 s under TCG).
cat > /usr/local/bin/cgh-tester-session <<'EOF'
#!/bin/bash
fail=0
. /usr/local/lib/cgh-context.sh
context "b0: tester login session (su -l tester)" \
  '/user\.slice/user-1000\.slice/session-c?[0-9]+\.scope' \
  /usr/local/bin/cgh-probe
# sudo's PAM stack (common-session-noninteractive) has no pam_systemd: same session scope.
context "b: sudo from tester's login session" \
  '/user\.slice/user-1000\.slice/session-c?[0-9]+\.scope' \
  sudo -n /usr/local/bin/cgh-probe
context "c5: sudo systemd-run --scope -p Delegate=yes from tester's login session" \
  '/system\.slice/run-.*\.scope' \
  sudo -n systemd-run --quiet --scope -p Delegate=yes /usr/local/bin/cgh-probe
# tester's user manager (user@1000.service), started for the login session.
context "d1: tester user scope, Delegate=yes, from the login session" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.scope' \
  systemd-run --user --quiet --scope -p Delegate=yes /usr/local/bin/cgh-probe
context "d2: tester user service, Delegate=yes, from the login session" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.service' \
  systemd-run --user --quiet --wait --pipe -p Delegate=yes /usr/local/bin/cgh-probe
if [ -x /payload/cgharness ]; then
  echo "== cgharness doctor as tester in its login session"
  /payload/cgharness doctor; echo "exit $?"
  echo
  echo "== sudo cgharness doctor from tester's login session"
  sudo -n /payload/cgharness doctor; echo "exit $?"
  echo
fi
exit $fail
EOF
chmod 755 /usr/local/bin/cgh-tester-session

echo "== host facts"
echo "is-system-running: $(systemctl is-system-running)"
systemctl --version | head -1
uname -r
echo "self: $(cat /proc/self/cgroup)"
echo "id: $(id)"
grep cgroup2 /proc/mounts
echo "root cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "root cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
echo "/system.slice cgroup.subtree_control: $(cat /sys/fs/cgroup/system.slice/cgroup.subtree_control)"
for k in kernel.dmesg_restrict vm.nr_hugepages vm.swappiness; do echo "$k = $(sysctl -n $k)"; done
echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
echo "user@.service: $(systemctl show -p Delegate -p DelegateControllers user@1000.service | tr '\n' ' ')"
echo "swaps:"; cat /proc/swaps
echo

# (a) root login session. su -l goes through PAM's common-session, whose pam_systemd asks
# logind for a session: logind makes session-cN.scope ("c": no audit session id) and moves the
# process there. run0 (systemd >= 256) and a service with PAMName= get one too.
context "a: root login session (su -l root)" '/user\.slice/user-0\.slice/session-c?[0-9]+\.scope' \
  su -l root -c /usr/local/bin/cgh-probe
context "a2: run0 (systemd >= 256)" '/user\.slice/user-0\.slice/session-c?[0-9]+\.scope' \
  run0 --pipe /usr/local/bin/cgh-probe
context "a3: systemd-run -p PAMName=login -p User=root (a service with a PAM session)" \
  '/user\.slice/user-0\.slice/session-c?[0-9]+\.scope' \
  systemd-run --quiet --wait --pipe -p PAMName=login -p User=root /usr/local/bin/cgh-probe

# (c) system services and scopes
context "c1: system service, no delegation" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe /usr/local/bin/cgh-probe
context "c2: system service, Delegate=yes" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p Delegate=yes /usr/local/bin/cgh-probe
context "c3: system service, Delegate=io memory" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p 'Delegate=io memory' /usr/local/bin/cgh-probe
# systemd 257 manages no hugetlb (nor rdma, misc): it cannot be delegated. Recorded, not checked.
echo "== hugetlb in Delegate=: $(systemd-run --quiet --wait --pipe -p 'Delegate=memory hugetlb' true 2>&1)"
echo
context "c4: system scope, Delegate=yes (systemd-run --scope)" '/system\.slice/run-.*\.scope' \
  systemd-run --quiet --scope -p Delegate=yes /usr/local/bin/cgh-probe

# (e) a CI runner: a system service running as the user, KillMode=process, jobs its children.
context "e1: CI-runner-shaped service (User=tester, KillMode=process)" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p User=tester -p KillMode=process /usr/local/bin/cgh-probe
context "e2: sudo inside the CI-runner-shaped service" '/system\.slice/run-.*\.service' \
  systemd-run --quiet --wait --pipe -p User=tester -p KillMode=process sudo -n /usr/local/bin/cgh-probe

# (b), c5, (d1, d2) and doctor as tester: one login session of tester.
: > /tmp/cgh-ctx-tester.txt; chmod 666 /tmp/cgh-ctx-tester.txt
echo "== tester's login session: su -l tester -c cgh-tester-session"
t0=$(date +%s%N)
su -l tester -c 'CTX=/tmp/cgh-ctx-tester.txt /usr/local/bin/cgh-tester-session' || fail=1
echo "(the whole session, with user@1000.service's start and stop: $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
echo
cat /tmp/cgh-ctx-tester.txt >> "$CTX"

# (d) without a session: linger keeps user@1000.service running; reach it with
# --machine=tester@.host (a service; --scope cannot be remote), or as the user with
# XDG_RUNTIME_DIR set (a scope).
t0=$(date +%s%N)
loginctl enable-linger tester
for _ in $(seq 150); do systemctl is-active -q user@1000.service && break; sleep 0.2; done
echo "linger: user@1000.service $(systemctl is-active user@1000.service) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
context "d3: tester user service via linger + systemd-run --machine=tester@.host --user (no session)" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.service' \
  systemd-run --machine=tester@.host --user --quiet --wait --pipe -p Delegate=yes /usr/local/bin/cgh-probe
context "d4: tester user scope via linger + runuser + XDG_RUNTIME_DIR (no session)" \
  '/user\.slice/user-1000\.slice/user@1000\.service/.*\.scope' \
  runuser -u tester -- env XDG_RUNTIME_DIR=/run/user/1000 \
  systemd-run --user --quiet --scope -p Delegate=yes /usr/local/bin/cgh-probe
loginctl disable-linger tester

echo "== dmesg as tester: $(runuser -u tester -- dmesg 2>&1 | head -1)"
echo

if [ -x /payload/cgharness ]; then
  echo "== cgharness doctor as root (in cgharness-payload.service, not delegated)"
  /payload/cgharness doctor; echo "exit $?"
  echo
  echo "== cgharness doctor as root in a Delegate=yes service"
  systemd-run --quiet --wait --pipe -p Delegate=yes /payload/cgharness doctor; echo "exit $?"
  echo
else
  echo "== no /payload/cgharness: doctor skipped"
fi

echo "== failed units"; systemctl --failed --no-legend
echo "== contexts:"; grep -E '^(== |cgroup: |time: |verdict: )' "$CTX"
echo "smoke: $( [ $fail = 0 ] && echo all contexts as expected || echo SOME CONTEXTS UNEXPECTED)"
exit $fail
