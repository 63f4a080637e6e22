# Sourced by the tests/deploy/netns_*_test.sh scripts: three "machines" as network namespaces,
# each with its own address (10.77.0.1-3) on a veth to a bridge that lives in a fourth namespace,
# so nothing is added to the host's own network. Everything created (the namespaces, and with
# them the links and the bridge; the processes, by PID; the work folder) is removed on exit,
# failure and Ctrl-C included (HA_TEST_KEEP_WORK=1 keeps the work folder, for its logs). Skips
# (exit 77) when not root or when namespaces cannot be made.
# shellcheck shell=bash

readonly SKIP=77
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY grpc_proxy no_proxy NO_PROXY

skip() { echo "SKIP: $*"; exit "$SKIP"; }
((EUID == 0)) || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "'ip' (iproute2) is not installed"
command -v curl >/dev/null || skip "curl is not installed"

readonly TAG=$$
readonly SW=ha-sw-$TAG
readonly NS=("" "ha-n1-$TAG" "ha-n2-$TAG" "ha-n3-$TAG")
readonly IPS=("" 10.77.0.1 10.77.0.2 10.77.0.3)
WORK=
CREATED_NS=()
declare -A PIDS=()  # name -> PID of every process we started
T0=$SECONDS
# Files whose tail is printed when the test fails (set by the test).
FAILURE_LOGS=()

log() { printf '[%3ds] %s\n' $((SECONDS - T0)) "$*"; }
fail() { echo "FAIL: $*"; exit 1; }
check() { log "ok: $*"; }

# Called on every exit. A test may define `before_cleanup` to add its own steps (it runs first).
netns_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local name pid i
  if declare -F before_cleanup >/dev/null; then before_cleanup || true; fi
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!PIDS[@]}"; do
    pid=${PIDS[$name]}
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cleanup: $name (pid $pid) ignored SIGTERM for 10 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if declare -F after_processes_stopped >/dev/null; then after_processes_stopped || true; fi
  if ((rc != 0 && rc != SKIP)); then
    local f
    for f in "${FAILURE_LOGS[@]}"; do
      [[ -f $f ]] || continue
      echo "---- last lines of $f"
      tail -n 30 "$f"
    done
  fi
  for name in "${CREATED_NS[@]}"; do
    ip netns del "$name" 2>/dev/null || echo "cleanup: could not delete namespace $name"
  done
  if [[ -n $WORK && ${HA_TEST_KEEP_WORK:-0} == 1 ]]; then
    echo "HA_TEST_KEEP_WORK=1: kept $WORK (configs, logs, data)"
  elif [[ -n $WORK ]]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap netns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ip netns may exist and still be refused (a container without CAP_SYS_ADMIN): try one first.
if ! ip netns add "ha-probe-$TAG" 2>/dev/null; then
  skip "cannot create network namespaces here (ip netns add failed)"
fi
ip netns del "ha-probe-$TAG"

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

# make_network: the bridge and the three namespaces; checks they reach each other.
make_network() {
  WORK=$(mktemp -d /tmp/ha-netns-test.XXXXXX)
  chmod 0755 "$WORK"
  add_ns "$SW"
  ip -n "$SW" link add br0 type bridge
  ip -n "$SW" link set br0 up
  local n i
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
}

# The link of node N: its bridge port goes down (a silent network: no connection reset) or up.
cut_link() { ip -n "$SW" link set "port$1" down; }
heal_link() { ip -n "$SW" link set "port$1" up; }

deadline_loop() { # SECONDS COMMAND...: retries COMMAND every 0.2 s until it succeeds or time is up
  local limit=$1 end
  shift
  end=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

# start_in_ns NAME N LOG [--as USER] PROGRAM ARGS...: PROGRAM in node N's namespace, in the
# background, as USER when given. ip netns exec, setpriv and env all exec in place, so the
# recorded PID is the program's own.
start_in_ns() {
  local name=$1 n=$2 logfile=$3
  shift 3
  local as=()
  if [[ $1 == --as ]]; then
    as=(setpriv --reuid="$2" --regid="$2" --init-groups env -i PATH=/usr/bin:/bin LANG=C.UTF-8)
    shift 2
  fi
  ip netns exec "${NS[$n]}" "${as[@]}" "$@" </dev/null >>"$logfile" 2>&1 &
  PIDS[$name]=$!
  FAILURE_LOGS+=("$logfile")
}

# hadcs_leaders: the nodes whose hadcs calls itself the Raft leader (asked inside each namespace).
hadcs_is_leader() {
  in_ns "$1" curl -fsS --max-time 1 "http://${IPS[$1]}:2381/metrics" 2>/dev/null |
    grep -q '^hadcs_is_leader 1'
}
hadcs_leaders() {
  local n out=()
  for n in 1 2 3; do hadcs_is_leader "$n" && out+=("$n"); done
  echo "${out[*]}"
}
hadcs_health() { # N: HTTP status of member N's /health
  in_ns "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://${IPS[$1]}:2381/health" 2>/dev/null || true
}
