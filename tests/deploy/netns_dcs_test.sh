#!/usr/bin/env bash
# Three "machines" as network namespaces, each with its own address (10.77.0.1-3) on a veth to a
# bridge (the bridge lives in a fourth namespace, so nothing is added to the host's network). The
# configs come from deploy/ha-config.sh, as on a real install; one hadcs runs in each namespace,
# started directly (no systemd). Checked:
#   1. a leader is elected, and a write through one member is read through another;
#   2. the leader's link is cut (its bridge port goes down: a silent network, no connection reset):
#      the two others elect a leader and take writes, the cut-off member refuses them and reports
#      itself unhealthy (/health 503);
#   3. the link comes back: the member catches up (reads what was written without it), takes
#      writes again, and there is exactly one leader.
# Everything created (namespaces and with them links and bridge, processes by PID, the work
# folder) is removed on exit, failure and Ctrl-C included.
#
# usage: netns_dcs_test.sh HADCS HACTL [HAAGENT]      (needs root and 'ip netns'; else exit 77 = skipped)
set -euo pipefail

HADCS=${1:?usage: netns_dcs_test.sh HADCS HACTL [HAAGENT]}
HACTL=${2:?usage: netns_dcs_test.sh HADCS HACTL [HAAGENT]}
HAAGENT=${3:-}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO HADCS HACTL HAAGENT
# shellcheck source=tests/deploy/netns_lib.sh
source "$REPO/tests/deploy/netns_lib.sh"
for b in "$HADCS" "$HACTL"; do [[ -x $b ]] || fail "$b is not an executable"; done
readonly PEERS=n1=10.77.0.1,n2=10.77.0.2,n3=10.77.0.3

make_network

# --- the install flow's configs ------------------------------------------------------------
for n in 1 2 3; do
  d=$WORK/n$n
  mkdir -p "$d/data"
  "$REPO/deploy/ha-config.sh" --name "n$n" --ip "${IPS[$n]}" --peers "$PEERS" \
    --secrets "$WORK/secrets.env" --scope netns --out "$d/etc" --data-root "$d/data" \
    --socket-dir "$d" --watchdog off >/dev/null 2>&1 || fail "ha-config.sh failed for n$n"
  if [[ -n $HAAGENT ]]; then
    "$HAAGENT" --validate-config "$d/etc/haagent.yml" >/dev/null || fail "n$n: the written haagent.yml is not valid"
  fi
done
check "ha-config.sh wrote the configs of the three nodes${HAAGENT:+ (haagent --validate-config accepts them)}"

# --- hadcs in each namespace -----------------------------------------------------------------
for n in 1 2 3; do
  start_in_ns "hadcs-n$n" "$n" "$WORK/n$n/hadcs.log" "$HADCS" --config-file "$WORK/n$n/etc/hadcs.yml"
done

hactl_via() { # N ARGS...: hactl in namespace N, talking to member N only
  local n=$1
  shift
  in_ns "$n" "$HACTL" --dcs "${IPS[$n]}:2379" --timeout 2 "$@"
}

one_leader() { local l; l=$(hadcs_leaders); [[ $l =~ ^[123]$ ]]; }
deadline_loop 20 one_leader || fail "no single leader within 20 s (leaders: '$(hadcs_leaders)')"
LEADER=$(hadcs_leaders)
check "member n$LEADER is the leader"
for n in 1 2 3; do
  kill -0 "${PIDS[hadcs-n$n]}" 2>/dev/null || fail "hadcs n$n exited"
  [[ $(readlink "/proc/${PIDS[hadcs-n$n]}/exe") == "$(readlink -f "$HADCS")" ]] ||
    fail "pid ${PIDS[hadcs-n$n]} is not hadcs (ip netns exec did not exec in place?)"
done

put_via() { hactl_via "$1" dcs put "$2" "$3" >/dev/null 2>&1; }
value_via() { hactl_via "$1" dcs get --print-value-only "$2" 2>/dev/null; }

deadline_loop 10 put_via 1 /test/a one || fail "a write through n1 failed for 10 s"
[[ $(value_via 2 /test/a) == one ]] || fail "n2 reads '$(value_via 2 /test/a)' for /test/a, n1 wrote 'one'"
[[ $(value_via 3 /test/a) == one ]] || fail "n3 reads '$(value_via 3 /test/a)' for /test/a, n1 wrote 'one'"
check "a write through n1 is read through n2 and n3"

# --- cut the leader's link -----------------------------------------------------------------------
CUT=$LEADER
SURVIVORS=()
for n in 1 2 3; do ((n != CUT)) && SURVIVORS+=("$n"); done
cut_link "$CUT"
t_cut=$(date +%s%N)
log "cut n$CUT's link (bridge port down)"

write_through_survivor() {
  put_via "${SURVIVORS[0]}" /test/b during-cut || put_via "${SURVIVORS[1]}" /test/b during-cut
}
deadline_loop 20 write_through_survivor || fail "n${SURVIVORS[0]} and n${SURVIVORS[1]} took no write within 20 s of the cut"
t_write=$(date +%s%N)
check "the two others took a write $(((t_write - t_cut) / 1000000)) ms after the cut"
new_leader_elected() {
  local l
  l=$(hadcs_is_leader "${SURVIVORS[0]}" && echo "${SURVIVORS[0]}"; hadcs_is_leader "${SURVIVORS[1]}" && echo "${SURVIVORS[1]}")
  [[ -n $l ]]
}
deadline_loop 10 new_leader_elected || fail "neither n${SURVIVORS[0]} nor n${SURVIVORS[1]} is leader after the cut"
for n in "${SURVIVORS[@]}"; do
  put_via "$n" "/test/c$n" "x" || fail "n$n refused a write while n$CUT is cut off"
  [[ $(value_via "$n" /test/b) == during-cut ]] || fail "n$n does not read the write made during the cut"
done
check "n${SURVIVORS[0]} and n${SURVIVORS[1]} both serve writes and reads while n$CUT is cut off"

if put_via "$CUT" /test/isolated nope; then
  fail "the cut-off member n$CUT acknowledged a write"
fi
check "the cut-off member n$CUT refuses writes"
unhealthy() { [[ $(hadcs_health "$CUT") == 503 ]]; }
deadline_loop 10 unhealthy || fail "the cut-off member n$CUT still says /health $(hadcs_health "$CUT") after 10 s"
if hadcs_is_leader "$CUT"; then fail "the cut-off member n$CUT still calls itself leader"; fi
check "the cut-off member n$CUT stepped down and reports /health 503"

# --- heal ------------------------------------------------------------------------------------
heal_link "$CUT"
log "restored n$CUT's link"
caught_up() { [[ $(value_via "$CUT" /test/b) == during-cut ]]; }
deadline_loop 20 caught_up || fail "n$CUT did not catch up within 20 s of the link coming back"
check "n$CUT caught up: it reads the write made without it"
deadline_loop 10 put_via "$CUT" /test/d after-heal || fail "n$CUT takes no writes after the heal"
for n in "${SURVIVORS[@]}"; do
  [[ $(value_via "$n" /test/d) == after-heal ]] || fail "n$n does not read the write made through n$CUT after the heal"
done
deadline_loop 10 one_leader || fail "not exactly one leader after the heal (leaders: '$(hadcs_leaders)')"
healthy_all() { local n; for n in 1 2 3; do [[ $(hadcs_health "$n") == 200 ]] || return 1; done; }
deadline_loop 10 healthy_all || fail "not every member reports /health 200 after the heal"
check "after the heal: one leader (n$(hadcs_leaders)), every member healthy, writes through n$CUT reach the others"

for n in 1 2 3; do
  kill -0 "${PIDS[hadcs-n$n]}" 2>/dev/null || fail "hadcs n$n died during the test"
done
log "PASS"
