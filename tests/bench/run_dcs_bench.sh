#!/usr/bin/env bash
# run_dcs_bench.sh: 3-member hadcs (and etcd, when /usr/bin/etcd exists) on loopback: put
# throughput/latency with dcs_bench, leader failover, members' RSS; one table with hadcs beside
# etcd and the ratios. Builds nothing; stops what it started (by PID) and removes its temp dir.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HADCS=$ROOT/build/release/dcs/hadcs
BENCH=$ROOT/build/release/tests/bench/dcs_bench
ETCD=/usr/bin/etcd
DURATION=10
WARMUP=0.5
CLIENTS=1,16,256
CLIENTS_PER_CONN=10
THREADS=2
ROUNDS=5
TARGET=leader
WORKBASE=${TMPDIR:-/var/tmp}
KEEP=0
HADCS_ARGS=
ETCD_ARGS=

usage() {
  cat <<EOF
Usage: $0 [options] [HADCS [DCS_BENCH]]

Starts a 3-member hadcs cluster on loopback (free ports, data in a temporary folder, fsync on)
and, when the etcd binary exists, a 3-member etcd (default settings) beside it, data on the same
disk. Runs dcs_bench put at each client count against each, interleaved (hadcs then etcd, then
etcd then hadcs, ...) so that paired rows see the same disk and the same neighbours, with a 1 s
fsync probe of the disk before each row; then reads each member's VmRSS; then measures leader
failover per cluster (kill -9 the leader, time to the first acknowledged put; median and max over
the rounds; the killed member is restarted and the cluster waited healthy between rounds).
Prints one table: hadcs, etcd, and hadcs/etcd. Every process it started is stopped (by PID) and
the temporary folder removed on exit, also on Ctrl-C. About 2 minutes with the defaults.

It builds nothing. Binaries (positional arguments or options; defaults from build/release):
  HADCS, --hadcs PATH      hadcs binary         (default $ROOT/build/release/dcs/hadcs)
  DCS_BENCH, --bench PATH  dcs_bench binary     (default $ROOT/build/release/tests/bench/dcs_bench)
  --etcd PATH|none         etcd binary, or none to skip etcd (default /usr/bin/etcd if present)
  Build them with e.g.:  cmake --build --preset release --target hadcs dcs_bench

Options:
  --duration S          measured seconds per load point (default $DURATION; plus ${WARMUP}s warmup)
  --clients LIST        client counts (default $CLIENTS)
  --clients-per-conn N  clients sharing one gRPC connection (default $CLIENTS_PER_CONN)
  --threads N           dcs_bench completion-queue threads (default $THREADS)
  --target leader|all   send puts to the leader or spread them over all members (default $TARGET)
  --rounds N            failover rounds per cluster (default $ROUNDS; at least 1)
  --hadcs-args "ARGS"   extra flags for every hadcs member, e.g. "--snapshot-count 100000"
  --etcd-args "ARGS"    extra flags for every etcd member (default: none, etcd's defaults)
  --workdir DIR         where to make the temporary folder (default \$TMPDIR or /var/tmp)
  --keep                keep the temporary folder (logs) instead of removing it
  -h, --help            this text

Exit codes: 0 success, 1 a measurement failed, 2 bad usage.
EOF
}

POS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --hadcs) HADCS=${2:?}; shift 2 ;;
    --bench) BENCH=${2:?}; shift 2 ;;
    --etcd) ETCD=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --clients-per-conn) CLIENTS_PER_CONN=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --target) TARGET=${2:?}; shift 2 ;;
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --workdir) WORKBASE=${2:?}; shift 2 ;;
    --hadcs-args) HADCS_ARGS=$2; shift 2 ;;
    --etcd-args) ETCD_ARGS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -*) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) POS+=("$1"); shift ;;
  esac
done
[[ ${#POS[@]} -ge 1 ]] && HADCS=${POS[0]}
[[ ${#POS[@]} -ge 2 ]] && BENCH=${POS[1]}
[[ ${#POS[@]} -ge 3 ]] && { echo "$0: too many arguments (see --help)" >&2; exit 2; }
for b in "$HADCS" "$BENCH"; do
  [[ -x $b ]] || { echo "$0: $b is not an executable; build it or pass its path (see --help)" >&2; exit 2; }
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "$0: --rounds must be a positive number" >&2; exit 2; }
[[ $TARGET == leader || $TARGET == all ]] || { echo "$0: --target must be leader or all" >&2; exit 2; }
RUN_ETCD=0
[[ $ETCD != none && -x $ETCD ]] && RUN_ETCD=1

WORK=$(mktemp -d "$WORKBASE/dcs_bench.XXXXXX") || { echo "$0: cannot make a folder in $WORKBASE" >&2; exit 1; }
declare -a PIDS=()  # every member process this script started and has not reaped yet

forget_pid() {
  local p=$1 i
  for i in "${!PIDS[@]}"; do [[ ${PIDS[$i]} == "$p" ]] && unset 'PIDS[i]'; done
}

stop_pids() {  # TERM, then KILL after 5 s; only our own PIDs. Reports unclean exits.
  local p t rc killed
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  {  # bash's "Killed" job notices go to /dev/null
    for p in "$@"; do
      killed=0
      for ((t = 0; t < 50; t++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$p" 2>/dev/null; then
        echo "[$(date +%H:%M:%S)] PID $p did not stop within 5 s of SIGTERM; SIGKILL" >&3
        kill -KILL "$p"
        killed=1
      fi
      wait "$p"
      rc=$?
      # 0: clean; 130/143: died of the SIGINT (Ctrl-C)/SIGTERM itself (etcd re-raises them)
      if [[ $killed == 0 && $rc != 0 && $rc != 130 && $rc != 143 && $rc != 127 ]]; then
        echo "[$(date +%H:%M:%S)] PID $p exited with status $rc (not a clean stop; 134 = abort)" >&3
      fi
      forget_pid "$p"
    done
  } 2>/dev/null
}

cleanup() {
  trap - EXIT INT TERM
  [[ ${#PIDS[@]} -gt 0 ]] && stop_pids "${PIDS[@]}"
  if [[ $KEEP == 1 ]]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
exec 3>&2
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Free TCP ports on 127.0.0.1 (asked from the kernel, so nothing else is listening there now).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Cluster state, per engine (hadcs, etcd): binary, endpoints, initial cluster, ports, PIDs.
declare -A BINOF=() EP=() INIT=() CP=() PP=() MP=()

start_member() {  # start_member ENGINE I: starts member n(I+1) and records its PID in MP[ENGINE,I]
  local e=$1 i=$2 name=n$(($2 + 1))
  local args=(--name "$name" --data-dir "$WORK/$e/$name"
    --listen-client-urls "http://127.0.0.1:${CP[$e,$i]}" --advertise-client-urls "http://127.0.0.1:${CP[$e,$i]}"
    --listen-peer-urls "http://127.0.0.1:${PP[$e,$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${PP[$e,$i]}"
    --initial-cluster "${INIT[$e]}" --initial-cluster-token "dcs-bench-$e" --initial-cluster-state new)
  local extra=()
  [[ $e == hadcs ]] && read -r -a extra <<<"$HADCS_ARGS"
  [[ $e == etcd ]] && read -r -a extra <<<"$ETCD_ARGS"
  "${BINOF[$e]}" "${args[@]}" "${extra[@]}" >>"$WORK/$e-$name.log" 2>&1 &
  MP[$e,$i]=$!
  PIDS+=("$!")
}

member_pids() {  # member_pids ENGINE: "p1,p2,p3"
  echo "${MP[$1,0]},${MP[$1,1]},${MP[$1,2]}"
}

start_cluster() {  # start_cluster ENGINE BINARY: starts 3 members and waits until healthy
  local e=$1 ports i
  BINOF[$e]=$2
  read -r -a ports <<<"$(free_ports 6)" || return 1
  INIT[$e]= EP[$e]=
  for i in 0 1 2; do
    CP[$e,$i]=${ports[$i]} PP[$e,$i]=${ports[$((i + 3))]}
    INIT[$e]+="${INIT[$e]:+,}n$((i + 1))=http://127.0.0.1:${PP[$e,$i]}"
    EP[$e]+="${EP[$e]:+,}127.0.0.1:${CP[$e,$i]}"
  done
  mkdir -p "$WORK/$e"
  for i in 0 1 2; do start_member "$e" "$i"; done
  log "$e: members $(member_pids "$e") on client ports ${CP[$e,0]},${CP[$e,1]},${CP[$e,2]}"
  "$BENCH" wait-healthy --endpoints "${EP[$e]}" --timeout 60 >/dev/null
}

stop_cluster() {  # stop_cluster ENGINE
  stop_pids "${MP[$1,0]}" "${MP[$1,1]}" "${MP[$1,2]}"
  rm -rf "${WORK:?}/$1"
}

rss_mb() {  # VmRSS of a PID in MB
  awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"
}

kv() {  # kv LINE KEY: the value of KEY=... in LINE
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}

stats() {  # stats V...: "median max" of the non-negative numbers
  [[ $# -eq 0 ]] && { echo "- -"; return; }
  printf '%s\n' "$@" | awk '$1 >= 0' | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "- -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.0f %.0f\n", m, v[NR] }'
}

declare -A R=()  # R[engine,metric] and R[engine,clients,metric] = value
FAILED=0

load_point() {  # load_point ENGINE CLIENTS: disk probe, then one dcs_bench put row
  local e=$1 c=$2 line m
  line=$("$BENCH" fsync --dir "$WORK/$e" --seconds 1)
  R[$e,$c,fsync]=$(kv "$line" syncs_per_s)
  R[$e,$c,load]=$(cut -d' ' -f1 /proc/loadavg)
  line=$("$BENCH" put --endpoints "${EP[$e]}" --clients "$c" --duration "$DURATION" \
    --warmup "$WARMUP" --clients-per-conn "$CLIENTS_PER_CONN" --threads "$THREADS" \
    --target "$TARGET" --format kv | grep '^point')
  echo "  $e $line (disk ${R[$e,$c,fsync]} fsync/s, load ${R[$e,$c,load]})" >&2
  [[ -n $line ]] || { log "$e: the put load at $c clients failed"; FAILED=1; }
  for m in ops_per_s p50_ms p99_ms max_ms errors conns; do R[$e,$c,$m]=$(kv "$line" "$m"); done
}

after_load() {  # after_load ENGINE: members alive? their VmRSS
  local e=$1 i rss=()
  for i in 0 1 2; do
    if ! kill -0 "${MP[$e,$i]}" 2>/dev/null; then
      log "$e: member n$((i + 1)) (PID ${MP[$e,$i]}) died during the load; see $WORK/$e-n$((i + 1)).log"
      FAILED=1 KEEP=1
    fi
    rss+=("$(rss_mb "${MP[$e,$i]}")")
  done
  R[$e,rss]=$(IFS=/; echo "${rss[*]}")
  R[$e,rssmax]=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
  log "$e: VmRSS after the load (MB): ${R[$e,rss]}"
}

failover() {  # failover ENGINE: ROUNDS rounds of kill -9 the leader / restart it
  local e=$1 acks=() seen=() r out k
  for ((r = 1; r <= ROUNDS; r++)); do
    if ! "$BENCH" wait-healthy --endpoints "${EP[$e]}" --timeout 60 >/dev/null; then
      log "$e: not healthy before failover round $r"; FAILED=1; break
    fi
    {  # bash's "Killed" job notice goes to /dev/null; dcs_bench's errors to a file
      out=$("$BENCH" failover --endpoints "${EP[$e]}" --pids "$(member_pids "$e")" 2>"$WORK/failover.err")
      k=$(kv "$out" killed_index)
      [[ -n $k && $k -ge 0 ]] && wait "${MP[$e,$k]}"
    } 2>/dev/null
    echo "  $e round $r: $out" >&2
    sed 's/^/    /' "$WORK/failover.err" >&2
    if [[ -z $k || $k -lt 0 ]]; then log "$e: failover round $r failed"; FAILED=1; break; fi
    forget_pid "${MP[$e,$k]}"
    acks+=("$(kv "$out" ack_ms)")
    seen+=("$(kv "$out" leader_seen_ms)")
    start_member "$e" "$k"
  done
  "$BENCH" wait-healthy --endpoints "${EP[$e]}" --timeout 60 >/dev/null || { log "$e: not healthy after failover"; FAILED=1; }
  read -r "R[$e,fo_med]" "R[$e,fo_max]" <<<"$(stats "${acks[@]}")"
  read -r "R[$e,seen_med]" "R[$e,seen_max]" <<<"$(stats "${seen[@]}")"
  R[$e,fo_n]=${#acks[@]}
}

log "work folder $WORK ($(df --output=source "$WORK" | tail -1))"
ENGINES=(hadcs)
log "hadcs: starting 3 members"
if ! start_cluster hadcs "$HADCS"; then
  log "hadcs: the cluster did not become healthy; see $WORK/hadcs-*.log"
  KEEP=1
  exit 1
fi
if [[ $RUN_ETCD == 1 ]]; then
  log "etcd: $("$ETCD" --version | head -1); starting 3 members"
  if start_cluster etcd "$ETCD"; then
    ENGINES+=(etcd)
  else
    log "etcd: the cluster did not become healthy; see $WORK/etcd-*.log; measuring hadcs alone"
    FAILED=1 KEEP=1
    stop_cluster etcd
    RUN_ETCD=0
  fi
fi

# Load points interleaved (A B, B A, A B, ...) so that each pair of rows sees the same disk and
# the same neighbours: the fsync rate of a shared disk drifts by several times within minutes.
IFS=, read -r -a COUNTS <<<"$CLIENTS"
log "put load at $CLIENTS clients, ${DURATION}s each, target $TARGET, engines interleaved"
for k in "${!COUNTS[@]}"; do
  order=("${ENGINES[@]}")
  if ((k % 2 == 1 && ${#ENGINES[@]} == 2)); then order=(etcd hadcs); fi
  for e in "${order[@]}"; do load_point "$e" "${COUNTS[$k]}"; done
done
for e in "${ENGINES[@]}"; do after_load "$e"; done
for e in "${ENGINES[@]}"; do
  log "$e: leader failover, $ROUNDS rounds"
  failover "$e"
done
for e in "${ENGINES[@]}"; do stop_cluster "$e"; done

ratio() {  # ratio A B: A/B with 2 decimals, or - when either is missing
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

row() {  # row LABEL HADCS_VALUE ETCD_VALUE [noratio]
  local h=${2:--} e=${3:--} q
  q=$(ratio "$h" "$e")
  [[ ${4:-} == noratio ]] && q=-
  if [[ $RUN_ETCD == 1 ]]; then
    printf '%-34s %12s %12s %11s\n' "$1" "$h" "$e" "$q"
  else
    printf '%-34s %12s\n' "$1" "$h"
  fi
}

echo
echo "dcs_bench: 3 members on loopback, fsync on, ${DURATION}s per load point, 256-byte values, target $TARGET"
echo "host: $(nproc) cores, $(uname -r); work folder on $(df --output=source "$WORK" | tail -1)"
[[ -n $HADCS_ARGS ]] && echo "hadcs extra flags: $HADCS_ARGS"
[[ -n $ETCD_ARGS ]] && echo "etcd extra flags: $ETCD_ARGS"
if [[ $RUN_ETCD == 1 ]]; then
  printf '%-34s %12s %12s %11s\n' "" hadcs etcd hadcs/etcd
else
  printf '%-34s %12s\n' "" hadcs
fi
for c in "${COUNTS[@]}"; do
  row "put $c clients (${R[hadcs,$c,conns]:-?} conns): ops/s" "${R[hadcs,$c,ops_per_s]:-}" "${R[etcd,$c,ops_per_s]:-}"
  row "  p50 ms" "${R[hadcs,$c,p50_ms]:-}" "${R[etcd,$c,p50_ms]:-}"
  row "  p99 ms" "${R[hadcs,$c,p99_ms]:-}" "${R[etcd,$c,p99_ms]:-}"
  row "  max ms" "${R[hadcs,$c,max_ms]:-}" "${R[etcd,$c,max_ms]:-}"
  row "  errors" "${R[hadcs,$c,errors]:-}" "${R[etcd,$c,errors]:-}" noratio
  row "  disk fsync/s just before" "${R[hadcs,$c,fsync]:-}" "${R[etcd,$c,fsync]:-}"
  row "  load average just before" "${R[hadcs,$c,load]:-}" "${R[etcd,$c,load]:-}" noratio
done
row "failover median ms (n=${R[hadcs,fo_n]:-0}/${R[etcd,fo_n]:-0})" "${R[hadcs,fo_med]:-}" "${R[etcd,fo_med]:-}"
row "failover max ms" "${R[hadcs,fo_max]:-}" "${R[etcd,fo_max]:-}"
row "  new leader seen, median ms" "${R[hadcs,seen_med]:-}" "${R[etcd,seen_med]:-}"
row "RSS after load, max MB" "${R[hadcs,rssmax]:-}" "${R[etcd,rssmax]:-}"
row "  RSS n1/n2/n3 MB" "${R[hadcs,rss]:-}" "${R[etcd,rss]:-}" noratio
exit $FAILED
