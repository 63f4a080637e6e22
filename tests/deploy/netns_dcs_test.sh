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

readonly SKIP=77
HADCS=${1:?usage: netns_dcs_test.sh HADCS HACTL [HAAGENT]}
HACTL=${2:?usage: netns_dcs_test.sh HADCS HACTL [HAAGENT]}
HAAGENT=${3:-}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO HADCS HACTL HAAGENT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY grpc_proxy

skip() { echo "SKIP: $*"; exit "$SKIP"; }
((EUID == 0)) || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "'ip' (iproute2) is not installed"
command -v curl >/dev/null || skip "curl is not installed"
for b in "$HADCS" "$HACTL"; do [[ -x $b ]] || { echo "FAIL: $b is not an executable"; exit 1; }; done

readonly TAG=$$
readonly SW=ha-sw-$TAG
readonly NS=("" "ha-n1-$TAG" "ha-n2-$TAG" "ha-n3-$TAG")
readonly IPS=("" 10.77.0.1 10.77.0.2 10.77.0.3)
readonly PEERS=n1=10.77.0.1,n2=10.77.0.2,n3=10.77.0.3
WORK=
CREATED_NS=()
declare -A PIDS=()
T0=$SECONDS

log() { printf '[%3ds] %s\n' $((SECONDS - T0)) "$*"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local name pid i
  for name in "${!PIDS[@]}"; do
    pid=${PIDS[$name]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for name in "${!PIDS[@]}"; do
    pid=${PIDS[$name]}
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cleanup: $name (pid $pid) ignored SIGTERM for 5 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if ((rc != 0 && rc != SKIP)) && [[ -n $WORK ]]; then
    for f in "$WORK"/n*/*.log; do
      [[ -f $f ]] || continue
      echo "---- last lines of $f"
      tail -n 25 "$f"
    done
  fi
  for name in "${CREATED_NS[@]}"; do
    ip netns del "$name" 2>/dev/null || echo "cleanup: could not delete namespace $name"
  done
  [[ -n $WORK ]] && rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ip netns may exist and still be refused (a container without CAP_SYS_ADMIN): try one first.
probe=ha-probe-$TAG
if ! ip netns add "$probe" 2>/dev/null; then
  skip "cannot create network namespaces here (ip netns add failed)"
fi
ip netns del "$probe"

fail() {
  echo "FAIL: $*"
  exit 1
}
check() { # DESCRIPTION: counts a passed check
  log "ok: $*"
}

in_ns() { # N COMMAND...: runs COMMAND in node N's namespace
  local n=$1
  shift
  ip netns exec "${NS[$n]}" "$@"
}

add_ns() {
  ip netns add "$1"
  CREATED_NS+=("$1")
  ip -n "$1" link set lo up
}

# --- the network -----------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/ha-netns-test.XXXXXX)
chmod 0755 "$WORK"
add_ns "$SW"
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up
for n in 1 2 3; do
  add_ns "${NS[$n]}"
  ip -n "${NS[$n]}" link add eth0 type veth peer name "port$n" netns "$SW"
  ip -n "$SW" link set "port$n" master br0 up
  ip -n "${NS[$n]}" addr add "${IPS[$n]}/24" dev eth0
  ip -n "${NS[$n]}" link set eth0 up
done
for n in 2 3; do
  for ((i = 0; i < 50; i++)); do
    in_ns 1 ping -c 1 -W 1 "${IPS[$n]}" >/dev/null 2>&1 && break
    sleep 0.1
  done
  in_ns 1 ping -c 1 -W 1 "${IPS[$n]}" >/dev/null || fail "namespace 1 cannot reach ${IPS[$n]} over the bridge"
done
check "3 namespaces on a bridge: ${IPS[1]}, ${IPS[2]}, ${IPS[3]} reach each other"

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
  # ip netns exec runs the program in place, so $! is hadcs's own PID.
  ip netns exec "${NS[$n]}" "$HADCS" --config-file "$WORK/n$n/etc/hadcs.yml" \
    </dev/null >"$WORK/n$n/hadcs.log" 2>&1 &
  PIDS[hadcs-n$n]=$!
done

hactl_via() { # N ARGS...: hactl in namespace N, talking to member N only
  local n=$1
  shift
  in_ns "$n" "$HACTL" --dcs "${IPS[$n]}:2379" --timeout 2 "$@"
}

is_leader() { # N: member N says it is the Raft leader (asked from inside its namespace)
  in_ns "$1" curl -fsS --max-time 1 "http://${IPS[$1]}:2381/metrics" 2>/dev/null |
    grep -q '^hadcs_is_leader 1'
}

leaders() { # the members that call themselves leader
  local n out=()
  for n in 1 2 3; do is_leader "$n" && out+=("$n"); done
  echo "${out[*]}"
}

health_code() { # N: HTTP status of member N's /health
  in_ns "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://${IPS[$1]}:2381/health" 2>/dev/null || true
}

deadline_loop() { # SECONDS COMMAND...: retries COMMAND every 0.2 s until it succeeds or time is up
  local limit=$1 end
  shift
  end=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

one_leader() { local l; l=$(leaders); [[ $l =~ ^[123]$ ]]; }
deadline_loop 20 one_leader || fail "no single leader within 20 s (leaders: '$(leaders)')"
LEADER=$(leaders)
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
ip -n "$SW" link set "port$CUT" down
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
  l=$(is_leader "${SURVIVORS[0]}" && echo "${SURVIVORS[0]}"; is_leader "${SURVIVORS[1]}" && echo "${SURVIVORS[1]}")
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
unhealthy() { [[ $(health_code "$CUT") == 503 ]]; }
deadline_loop 10 unhealthy || fail "the cut-off member n$CUT still says /health $(health_code "$CUT") after 10 s"
if is_leader "$CUT"; then fail "the cut-off member n$CUT still calls itself leader"; fi
check "the cut-off member n$CUT stepped down and reports /health 503"

# --- heal ------------------------------------------------------------------------------------
ip -n "$SW" link set "port$CUT" up
log "restored n$CUT's link"
caught_up() { [[ $(value_via "$CUT" /test/b) == during-cut ]]; }
deadline_loop 20 caught_up || fail "n$CUT did not catch up within 20 s of the link coming back"
check "n$CUT caught up: it reads the write made without it"
deadline_loop 10 put_via "$CUT" /test/d after-heal || fail "n$CUT takes no writes after the heal"
for n in "${SURVIVORS[@]}"; do
  [[ $(value_via "$n" /test/d) == after-heal ]] || fail "n$n does not read the write made through n$CUT after the heal"
done
deadline_loop 10 one_leader || fail "not exactly one leader after the heal (leaders: '$(leaders)')"
healthy_all() { local n; for n in 1 2 3; do [[ $(health_code "$n") == 200 ]] || return 1; done; }
deadline_loop 10 healthy_all || fail "not every member reports /health 200 after the heal"
check "after the heal: one leader (n$(leaders)), every member healthy, writes through n$CUT reach the others"

for n in 1 2 3; do
  kill -0 "${PIDS[hadcs-n$n]}" 2>/dev/null || fail "hadcs n$n died during the test"
done
log "PASS"
