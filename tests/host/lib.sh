# Shared by the host-mode payloads (tests/host/hostmode.sh, tests/host/full.sh), sourced as
# /payload/lib.sh: the CHECK lines, the wait for the harness and its units to be gone, and
# what a run could leave behind.
out=/payload/out
bin=/payload/cgharness
checks=$out/checks.txt
: > "$checks"
check() { # NAME CONDITION-EXIT-CODE DETAIL
  if [ "$2" = 0 ]; then echo "CHECK $1 ok $3" | tee -a "$checks"
  else echo "CHECK $1 FAIL $3" | tee -a "$checks"; fi
}
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }
settle() { # until no harness process and no unit of ours is left (≤ 20 s)
  local end=$(( $(date +%s) + 20 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    { pgrep -f "$bin" >/dev/null || systemctl list-units --plain --no-legend 'cgharness-[0-9]*' 'cgh-*' | grep -q .; } || return 0
    sleep 0.2
  done
  return 1
}
leftovers() { # processes of the harness, cgroups, data files and owner files of runs
  pgrep -af "$bin" | grep -v pgrep
  find /sys/fs/cgroup -type d \( -name 'cgharness*' -o -name '*-[0-9]*-[0-9]*' \) | grep -Ev 'session|cgharness-payload'
  ls /var/tmp/cgharness-* 2>/dev/null
  ls /run/cgharness/*.owner.json 2>/dev/null
}
