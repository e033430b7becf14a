#!/bin/bash
# The long host-mode tier (scripts/full; the guest's /payload/run.sh, root, on a stock Debian 13
# systemd host): the catalogue at --scale 1/16 the ways users and CI run it, and the cases
# tests/host/hostmode.sh (scripts/test) leaves out. Writes CHECK lines to
# /payload/out/checks.txt and each run's output under /payload/out/<case>/.
#   login       `sudo cgharness run all` from a user's login session
#   service     `run all` in a plain system service (not delegated: a transient scope)
#   delegated   `run all` in a Delegate=yes service
#   ci-cancel   a CI-runner-shaped service (User=tester, Delegate=yes, KillMode=process)
#               cancelled the way runners do: SIGINT, SIGTERM 7.5 s later, then SIGKILL
#   nonroot     a non-root user's delegated scope (systemd-run --user --scope -p Delegate=yes),
#               with a scenario that needs neither io (a user manager delegates none) nor the
#               kernel log (dmesg_restrict)
#   two-jobs    two delegated services running the same scenario at once: both pass
# Expected outcome of `run all` here: every scenario passes except those that cannot run on a
# host (exit 3 with the fix: hugetlb, kernel knobs such as THP that differ), so the status is
# 3 and no scenario FAILs.
set -u
. /payload/lib.sh          # out=/payload/out (small: checks, logs, reports), bin, check, settle
res=/var/tmp/cgh-results  # the runs' full output (records are megabytes), on the root disk
mkdir -p "$res" && chmod 1777 "$res"
# Cases to run: /payload/cases (one line of names) or all of them.
cases=$(cat /payload/cases 2>/dev/null || echo "login service delegated ci-cancel nonroot two-jobs")
want() { [[ " $cases " == *" $1 "* ]]; }
# The summary's verdicts: no FAIL, and every scenario either PASS or CANNOT RUN.
judge() { # CASE LOG EXIT
  local fails passes
  fails=$(grep -cE '^  [a-z-]+: (FAIL|ERROR)' "$2")
  passes=$(grep -cE '^  [a-z-]+: PASS' "$2")
  check "$1-no-failures" "$([ "$fails" = 0 ] && [ "$passes" -ge 5 ]; echo $?)" \
    "exit $3, $passes passed, $fails failed: $(grep -E '^  [a-z-]+: ' "$2" | tr -s ' ' | tr '\n' ';')"
  check "$1-writeback-io-max" "$(grep -q '^  writeback-io-max: PASS' "$2"; echo $?)" "$(grep '^  writeback-io-max:' "$2")"
  settle
  local left; left=$(leftovers)
  check "$1-nothing-left" "$([ -z "$left" ]; echo $?)" "$(echo $left)"
}
loginctl enable-linger tester
su -l tester -c true
chmod 1777 /var/tmp

if want login; then
echo "== login ($(elapsed))"
su -l tester -c "cd /var/tmp && sudo -n $bin run all --scale 1/16 --quiet --out $res/login --data-dir /var/tmp" > "$out/login.log" 2>&1
judge login "$out/login.log" $?
fi

if want service; then
echo "== service ($(elapsed))"
systemd-run --quiet --wait --pipe --unit=cgh-svc -p WorkingDirectory=/var/tmp \
  $bin run all --scale 1/16 --quiet --out $res/service --data-dir /var/tmp > "$out/service.log" 2>&1
judge service "$out/service.log" $?
systemctl reset-failed cgh-svc 2>/dev/null  # exit 3 (hugetlb cannot run here) fails the unit
fi

if want delegated; then
echo "== delegated ($(elapsed))"
systemd-run --quiet --wait --pipe --unit=cgh-dlg -p Delegate=yes -p WorkingDirectory=/var/tmp \
  $bin run all --scale 1/16 --quiet --out $res/delegated --data-dir /var/tmp > "$out/delegated.log" 2>&1
judge delegated "$out/delegated.log" $?
systemctl reset-failed cgh-dlg 2>/dev/null
fi

if want ci-cancel; then
echo "== ci-cancel ($(elapsed))"
mkdir -p $res/ci && chown tester $res/ci
systemd-run --quiet --unit=cgh-runner -p User=tester -p Delegate=yes -p KillMode=process \
  -p WorkingDirectory=/var/tmp $bin run memory-high-throttle --scale 1/16 --out $res/ci --data-dir /var/tmp
for _ in $(seq 600); do pgrep -f "$bin workload" >/dev/null && break; sleep 0.1; done
pgrep -f "$bin workload" >/dev/null
check ci-cancel-workload-started $? "$(pgrep -af "$bin workload" | head -1)"
main=$(systemctl show -p MainPID --value cgh-runner)
s0=$(date +%s%N)
kill -INT "$main"
for _ in $(seq 75); do kill -0 "$main" 2>/dev/null || break; sleep 0.1; done
kill -0 "$main" 2>/dev/null && kill -TERM "$main"
for _ in $(seq 50); do kill -0 "$main" 2>/dev/null || break; sleep 0.1; done
kill -0 "$main" 2>/dev/null && kill -KILL "$main"
s1=$(date +%s%N)
check ci-cancel-gone-after-sigint "$([ $(( (s1 - s0) / 1000000 )) -lt 7500 ]; echo $?)" "main process gone $(( (s1 - s0) / 1000000 )) ms after SIGINT"
journalctl -q -u cgh-runner --no-pager > "$out/ci-journal.txt"
# Died by SIGINT after cleaning up: systemd counts that as a clean stop.
grep -Eq 'interrupted by SIGINT' "$out/ci-journal.txt" && grep -q 'Deactivated successfully' "$out/ci-journal.txt"
check ci-cancel-died-by-sigint $? "$(grep -E 'interrupted|Deactivated|status=' "$out/ci-journal.txt" | tail -2 | tr '\n' ' ')"
settle
left=$(leftovers)
check ci-cancel-nothing-left "$([ -z "$left" ]; echo $?)" "$(echo $left)"
systemctl reset-failed cgh-runner 2>/dev/null
fi

if want nonroot; then
echo "== nonroot ($(elapsed))"
mkdir -p $res/nonroot && chown tester $res/nonroot
su -l tester -c "cd /var/tmp && systemd-run --user --quiet --scope -p Delegate=yes $bin run reclaim-protection --scale 1/16 --quiet --out $res/nonroot/r --data-dir /var/tmp" > "$out/nonroot.log" 2>&1
rc=$?
check nonroot-exit "$([ $rc = 0 ]; echo $?)" "exit $rc: $(tail -3 "$out/nonroot.log" | tr '\n' ' ')"
grep -Eq '"mode": *"transient_scope"' "$res/nonroot/r/record.json" 2>/dev/null
check nonroot-own-scope $? "$(grep -Eo '"(mode|scope_unit)": *"[^"]*"' "$res/nonroot/r/record.json" | tr '\n' ' ')"
! grep -q 'still holds another live run' "$out/nonroot.log"
check nonroot-left-the-user-manager-alone $? "$(grep warning "$out/nonroot.log")"
grep -q 'dmesg_restrict' "$res/nonroot/r/report.json" 2>/dev/null
check nonroot-says-what-degraded $? "$(grep -o '"degraded":[^]]*]' "$res/nonroot/r/report.json" 2>/dev/null)"
fi

if want two-jobs; then
echo "== two-jobs ($(elapsed))"
for j in 1 2; do
  systemd-run --quiet --unit=cgh-job$j -p Delegate=yes -p WorkingDirectory=/var/tmp -p RemainAfterExit=yes \
    $bin run page-cache-ownership --scale 1/16 --quiet --out $res/job$j --data-dir /var/tmp
done
for _ in $(seq 1800); do
  a=$(systemctl show -p SubState --value cgh-job1); b=$(systemctl show -p SubState --value cgh-job2)
  [ "$a" != running ] && [ "$b" != running ] && break; sleep 0.2
done
for j in 1 2; do
  st=$(systemctl show -p ExecMainStatus --value cgh-job$j)
  check two-jobs-job$j-passed "$([ "$st" = 0 ]; echo $?)" "exit $st"
  systemctl stop cgh-job$j; systemctl reset-failed cgh-job$j 2>/dev/null
done
fi

# The reports (small) come back; the records stay in the guest.
(cd "$res" && find . -name report.json -exec cp --parents {} "$out/" \;) 2>/dev/null
state=$(systemctl is-system-running)
check system-running "$([ "$state" = running ]; echo $?)" "$state"
echo "total $(elapsed)"
! grep -q ' FAIL ' "$checks"
