#!/usr/bin/env bash
# A three-node demo cluster on this machine: 3 hadcs members, 3 haagent, 3 PostgreSQL 15, all on
# 127.0.0.1 under one folder (default /var/tmp/ha-demo). Runs as root on Debian 12 from a clone of
# the repository: installs what is missing, builds the release preset when needed, starts
# everything as the postgres user and waits until there is a leader and two streaming replicas.
#
#   deploy/demo.sh [start]   install, build, start (again) and wait until healthy
#   deploy/demo.sh status    what runs, with PIDs, and the cluster as hactl sees it
#   deploy/demo.sh stop      stop exactly what this script started (from its pid files)
#   deploy/demo.sh clean     stop, then remove the demo folder
#   ('up' and 'down' are the same as start and stop.)
#
# Options (before or after the command): --dir DIR (or HA_DEMO_DIR), --no-install (skip
# install-deps.sh), --no-build (use the programs already in build/release), --timeout SECONDS
# (wait for a healthy cluster; default 120).
# Re-running start is safe: what runs is left alone, what is missing is started, the ports and
# passwords chosen the first time are kept. It never touches Debian's own cluster on 5432 and
# never stops a process it did not start (every stop goes by a PID from its own pid files, checked
# against the process's start time; PostgreSQL by its postmaster.pid, through pg_ctl).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly BUILD_DIR=$REPO/build/release
readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly RUN_USER=postgres
readonly NODES=(1 2 3)
readonly SCOPE=demo

DEMO_DIR=${HA_DEMO_DIR:-/var/tmp/ha-demo}
INSTALL_DEPS=1
BUILD=1
WAIT_TIMEOUT=120
CMD=

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
  echo "demo: $*" >&2
  exit 1
}
say() { echo "demo: $*"; }

while (($#)); do
  case $1 in
    start | up | status | stop | down | clean) [[ -z $CMD ]] || die "one command at a time (got '$CMD' and '$1')"; CMD=$1 ;;
    --dir) (($# >= 2)) || die "--dir needs a folder"; DEMO_DIR=$2; shift ;;
    --dir=*) DEMO_DIR=${1#--dir=} ;;
    --no-install) INSTALL_DEPS=0 ;;
    --no-build) BUILD=0 ;;
    --timeout) (($# >= 2)) || die "--timeout needs seconds"; WAIT_TIMEOUT=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "demo: unknown argument '$1' (see deploy/demo.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
CMD=${CMD:-start}
[[ $CMD == up ]] && CMD=start
[[ $CMD == down ]] && CMD=stop
[[ $WAIT_TIMEOUT =~ ^[0-9]+$ ]] || { echo "demo: --timeout takes whole seconds, got '$WAIT_TIMEOUT'" >&2; exit 2; }
[[ $DEMO_DIR == /* ]] || { echo "demo: --dir must be an absolute path, got '$DEMO_DIR'" >&2; exit 2; }
DEMO_DIR=${DEMO_DIR%/}
[[ -n $DEMO_DIR && $DEMO_DIR != / ]] || { echo "demo: refusing to use / as the demo folder" >&2; exit 2; }

readonly BIN=$DEMO_DIR/bin
readonly ENV_FILE=$DEMO_DIR/cluster.env
readonly MARKER=$DEMO_DIR/.ha-demo

# ---------------------------------------------------------------------------------------------
# Processes: a pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat), so a PID that the
# kernel reused for another process is never taken for ours.

start_time_of() { # PID -> the process's start time in clock ticks, or nothing
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # drop "pid (comm) "; comm may contain spaces
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}" # field 22 overall = field 20 after pid and comm
}

# pid_of FILE: prints the PID when the process recorded in FILE still runs, else fails.
pid_of() {
  local file=$1 pid start now
  [[ -r $file ]] || return 1
  read -r pid start <"$file" || true
  [[ $pid =~ ^[0-9]+$ && -n ${start:-} ]] || return 1
  now=$(start_time_of "$pid") || return 1
  [[ $now == "$start" ]] || return 1
  # A zombie has exited already (its parent, not us, has yet to reap it).
  [[ $(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) != Z ]] || return 1
  echo "$pid"
}

write_pid_file() { # FILE PID
  echo "$2 $(start_time_of "$2")" >"$1"
}

# stop_pid FILE WHAT SECONDS: SIGTERM, wait, then SIGKILL. Removes the pid file.
stop_pid() {
  local file=$1 what=$2 wait_s=$3 pid i
  if ! pid=$(pid_of "$file"); then
    rm -f "$file"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    pid_of "$file" >/dev/null || break
    sleep 0.1
  done
  if pid_of "$file" >/dev/null; then
    say "$what (pid $pid) did not stop within ${wait_s}s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_of "$file" >/dev/null || break
      sleep 0.1
    done
  fi
  say "stopped $what (pid $pid)"
  rm -f "$file"
}

# ---------------------------------------------------------------------------------------------
# Ports and secrets, chosen once and kept in cluster.env.

port_in_use() {
  ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q .
}

declare -A TAKEN=()
next_free_port() { # START -> the first port >= START that is free and not chosen yet
  local p=$1
  while ((p < 65000)); do
    if ((p != 5432)) && [[ -z ${TAKEN[$p]:-} ]] && ! port_in_use "$p"; then
      TAKEN[$p]=1
      echo "$p"
      return 0
    fi
    p=$((p + 1))
  done
  die "no free TCP port from $1 upwards"
}

random_secret() {
  local s
  s=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  echo "${s:0:20}"
}

choose_ports_and_secrets() {
  local i out=() p
  for i in "${NODES[@]}"; do
    p=$(next_free_port 12379); TAKEN[$p]=1; out+=("DCS_CLIENT_$i=$p")
  done
  for i in "${NODES[@]}"; do
    p=$(next_free_port 12479); TAKEN[$p]=1; out+=("DCS_PEER_$i=$p")
  done
  for i in "${NODES[@]}"; do
    p=$(next_free_port 12579); TAKEN[$p]=1; out+=("DCS_METRICS_$i=$p")
  done
  for i in "${NODES[@]}"; do
    p=$(next_free_port 15433); TAKEN[$p]=1; out+=("PG_PORT_$i=$p")
  done
  for i in "${NODES[@]}"; do
    p=$(next_free_port 18008); TAKEN[$p]=1; out+=("REST_PORT_$i=$p")
  done
  out+=("SUPERUSER_PASSWORD=$(random_secret)" "REPLICATION_PASSWORD=$(random_secret)"
    "REWIND_PASSWORD=$(random_secret)" "CLUSTER_TOKEN=ha-demo-$(random_secret | head -c 8)")
  {
    echo "# Chosen by deploy/demo.sh on $(date -Is); kept until 'demo.sh clean'."
    printf '%s\n' "${out[@]}"
  } >"$ENV_FILE.tmp"
  chmod 0600 "$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

load_env() {
  [[ -r $ENV_FILE ]] || return 1
  # shellcheck disable=SC1090
  source "$ENV_FILE"
}

var() { local n=$1; echo "${!n}"; } # var DCS_CLIENT_1 -> its value

dcs_endpoints() { # 127.0.0.1:a,127.0.0.1:b,127.0.0.1:c
  local i out=()
  for i in "${NODES[@]}"; do out+=("127.0.0.1:$(var "DCS_CLIENT_$i")"); done
  (IFS=,; echo "${out[*]}")
}

# ---------------------------------------------------------------------------------------------
# Files

# write_if_changed FILE MODE OWNER: stdin becomes FILE when it differs (keeps mtime otherwise).
write_if_changed() {
  local file=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp "$file.XXXXXX")
  cat >"$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
  else
    mv "$tmp" "$file"
  fi
  chmod "$mode" "$file"
  chown "$owner" "$file"
}

write_configs() {
  local i peers=() n
  for i in "${NODES[@]}"; do peers+=("node$i=http://127.0.0.1:$(var "DCS_PEER_$i")"); done
  local initial_cluster
  initial_cluster=$(IFS=,; echo "${peers[*]}")
  for i in "${NODES[@]}"; do
    n=$DEMO_DIR/node$i
    install -d -m 0700 -o "$RUN_USER" -g "$RUN_USER" "$n" "$n/hadcs"
    write_if_changed "$n/hadcs.yml" 0640 "root:$RUN_USER" <<EOF
# hadcs member node$i of the demo (written by deploy/demo.sh). Keys are hadcs's long options.
name: node$i
data-dir: $n/hadcs
listen-client-urls: http://127.0.0.1:$(var "DCS_CLIENT_$i")
listen-peer-urls: http://127.0.0.1:$(var "DCS_PEER_$i")
initial-cluster: $initial_cluster
initial-cluster-token: $CLUSTER_TOKEN
metrics-listen: http://127.0.0.1:$(var "DCS_METRICS_$i")
EOF
    write_if_changed "$n/haagent.yml" 0640 "root:$RUN_USER" <<EOF
# haagent node$i of the demo (written by deploy/demo.sh). Patroni's key names; the cluster timing
# (ttl, loop_wait, retry_timeout) is the agent's default.
scope: $SCOPE
name: node$i
namespace: /service

dcs:
  endpoints: [$(dcs_endpoints | sed 's/,/, /g')]

restapi:
  listen: 127.0.0.1:$(var "REST_PORT_$i")
  connect_address: 127.0.0.1:$(var "REST_PORT_$i")

postgresql:
  data_dir: $n/pgdata
  bin_dir: $PG_BIN
  listen: 127.0.0.1:$(var "PG_PORT_$i")
  connect_address: 127.0.0.1:$(var "PG_PORT_$i")
  authentication:
    superuser:
      username: postgres
      password: $SUPERUSER_PASSWORD
    replication:
      username: replicator
      password: $REPLICATION_PASSWORD
    rewind:
      username: rewinder
      password: $REWIND_PASSWORD
  parameters:
    unix_socket_directories: $n
    shared_buffers: 32MB
    max_connections: 50
  pg_hba:
    - local all postgres peer
    - local all all scram-sha-256
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
  use_pg_rewind: true
  remove_data_directory_on_rewind_failure: true

watchdog:
  mode: off
EOF
  done
  # For the operator (root): psql reads the passwords from here.
  write_if_changed "$DEMO_DIR/pgpass" 0600 root:root <<EOF
127.0.0.1:*:*:postgres:$SUPERUSER_PASSWORD
127.0.0.1:*:*:replicator:$REPLICATION_PASSWORD
EOF
}

# ---------------------------------------------------------------------------------------------
# Build and binaries

build_binaries() {
  if ((!BUILD)); then
    say "--no-build: using the programs in $BUILD_DIR as they are"
    return 0
  fi
  if ((INSTALL_DEPS)); then
    "$REPO/deploy/install-deps.sh"
  fi
  command -v cmake >/dev/null || die "cmake is missing (run without --no-install, or deploy/install-deps.sh)"
  if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    say "configuring the release build in $BUILD_DIR"
    (cd "$REPO" && cmake --preset release >/dev/null) || die "cmake --preset release failed (see above)"
  fi
  # Ninja rebuilds what is stale and does nothing otherwise; only the three programs are built.
  say "building hadcs, haagent and hactl (release preset; the first build takes a while)"
  local t0=$SECONDS
  (cd "$REPO" && cmake --build --preset release --target hadcs haagent hactl) ||
    die "the build failed (see above)"
  say "build done in $((SECONDS - t0)) s"
}

copy_binaries() {
  # The postgres user cannot be expected to read a clone under /root: the programs are copied
  # to a folder it can read. A changed binary replaces the file (the running process keeps the
  # old one until restarted).
  install -d -m 0755 "$BIN"
  local prog src changed=0
  for prog in dcs/hadcs agent/haagent ctl/hactl; do
    src=$BUILD_DIR/$prog
    [[ -x $src ]] || die "$src is missing after the build"
    if ! cmp -s "$src" "$BIN/${prog#*/}"; then
      install -m 0755 "$src" "$BIN/${prog#*/}"
      changed=1
    fi
  done
  if ((changed)); then
    say "programs copied to $BIN"
    if compgen -G "$DEMO_DIR/node*/*.pid" >/dev/null; then
      local f
      for f in "$DEMO_DIR"/node*/*.pid; do
        if pid_of "$f" >/dev/null; then
          say "note: what already runs keeps the previous programs; 'deploy/demo.sh stop' then 'deploy/demo.sh' runs the new ones"
          break
        fi
      done
    fi
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# Starting

check_port_for() { # PORT WHAT: fails with a clear message when something else listens there
  if port_in_use "$1"; then
    echo "demo: port $1 ($2) is in use by another process:" >&2
    ss -Hltnp "( sport = :$1 )" >&2 || true
    die "free it, or run 'deploy/demo.sh clean' to start over with new ports"
  fi
}

# launch PIDFILE LOG PROGRAM ARGS...: runs PROGRAM as the postgres user, detached from this
# terminal (its own session: Ctrl-C here does not reach it), with the same PID as the program
# (setsid and setpriv exec in place).
launch() {
  local pidfile=$1 log=$2
  shift 2
  [[ -f $log ]] || install -m 0640 -o "$RUN_USER" -g "$RUN_USER" /dev/null "$log"
  echo "---- $(date -Is) demo.sh starts: $*" >>"$log"
  setsid setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/postgresql LANG=C.UTF-8 "$@" \
    </dev/null >>"$log" 2>&1 9>&- &
  local pid=$!
  write_pid_file "$pidfile" "$pid"
}

start_hadcs() {
  local i n started=0
  for i in "${NODES[@]}"; do
    n=$DEMO_DIR/node$i
    if pid=$(pid_of "$n/hadcs.pid"); then
      say "hadcs node$i already runs (pid $pid)"
      continue
    fi
    check_port_for "$(var "DCS_CLIENT_$i")" "hadcs node$i clients"
    check_port_for "$(var "DCS_PEER_$i")" "hadcs node$i peers"
    check_port_for "$(var "DCS_METRICS_$i")" "hadcs node$i metrics"
    launch "$n/hadcs.pid" "$n/hadcs.log" "$BIN/hadcs" --config-file "$n/hadcs.yml"
    started=1
  done
  sleep 0.5
  for i in "${NODES[@]}"; do
    n=$DEMO_DIR/node$i
    if ! pid=$(pid_of "$n/hadcs.pid"); then
      echo "demo: hadcs node$i exited at once; the end of $n/hadcs.log:" >&2
      tail -n 15 "$n/hadcs.log" >&2
      die "hadcs node$i did not start ('deploy/demo.sh stop' stops the others)"
    fi
    ((started)) && say "hadcs node$i runs (pid $pid, clients 127.0.0.1:$(var "DCS_CLIENT_$i"), log $n/hadcs.log)"
  done
  return 0
}

hactl() { "$BIN/hactl" --dcs "$(dcs_endpoints)" --scope "$SCOPE" --timeout 3 "$@"; }

wait_dcs() {
  local deadline=$((SECONDS + 30)) i ok
  while :; do
    ok=1
    for i in "${NODES[@]}"; do
      curl -fsS --max-time 2 "http://127.0.0.1:$(var "DCS_METRICS_$i")/health" >/dev/null 2>&1 || ok=0
    done
    if ((ok)) && hactl dcs put /ha-demo/probe "$(date +%s)" >/dev/null 2>&1 &&
      hactl dcs del /ha-demo/probe >/dev/null 2>&1; then
      say "the DCS has a leader and takes writes"
      return 0
    fi
    if ((SECONDS > deadline)); then
      hactl dcs status >&2 || true
      die "the DCS did not become healthy within 30 s (logs: $DEMO_DIR/node*/hadcs.log)"
    fi
    sleep 0.3
  done
}

start_agents() {
  local i n
  for i in "${NODES[@]}"; do
    n=$DEMO_DIR/node$i
    if pid=$(pid_of "$n/haagent.pid"); then
      say "haagent node$i already runs (pid $pid)"
      continue
    fi
    check_port_for "$(var "REST_PORT_$i")" "haagent node$i REST API"
    # PostgreSQL left running by an agent that died: the new agent adopts it, so its port may be
    # in use by our own postmaster.
    if ! postmaster_pid "$i" >/dev/null; then
      check_port_for "$(var "PG_PORT_$i")" "PostgreSQL node$i"
    fi
    "$BIN/haagent" --validate-config "$n/haagent.yml" >/dev/null ||
      die "the generated config $n/haagent.yml is not valid (see above)"
    launch "$n/haagent.pid" "$n/haagent.log" "$BIN/haagent" -c "$n/haagent.yml"
    say "haagent node$i started (pid $(pid_of "$n/haagent.pid" || echo '?'), REST 127.0.0.1:$(var "REST_PORT_$i"), PostgreSQL 127.0.0.1:$(var "PG_PORT_$i"), log $n/haagent.log)"
  done
}

# postmaster_pid NODE: the PID of the PostgreSQL server running in node's data dir, if any (from
# postmaster.pid, checked to be a postgres process whose data dir is ours).
postmaster_pid() {
  local d=$DEMO_DIR/node$1/pgdata pid
  [[ -r $d/postmaster.pid ]] || return 1
  pid=$(head -n 1 "$d/postmaster.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */postgres ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$d" || return 1
  echo "$pid"
}

# healthy: hactl list shows one running Leader and two streaming replicas.
cluster_health() { # prints "leader=N streaming=M"
  local json leaders streaming
  json=$(hactl list --format json 2>/dev/null | tr -d ' \n') || json=
  leaders=$(grep -o '"Role":"Leader","State":"running"' <<<"$json" | wc -l)
  streaming=$(grep -o '"Role":"[A-Za-z]*","State":"streaming"' <<<"$json" | wc -l)
  echo "leader=$leaders streaming=$streaming"
}

wait_cluster() {
  local t0=$SECONDS deadline=$((SECONDS + WAIT_TIMEOUT)) h last='' i n
  say "waiting for a leader and two streaming replicas (up to ${WAIT_TIMEOUT}s)"
  while :; do
    h=$(cluster_health)
    if [[ $h == "leader=1 streaming=2" ]]; then
      say "healthy after $((SECONDS - t0)) s"
      return 0
    fi
    [[ $h != "$last" ]] && say "  ... $h ($((SECONDS - t0)) s)"
    last=$h
    for i in "${NODES[@]}"; do
      n=$DEMO_DIR/node$i
      if ! pid_of "$n/haagent.pid" >/dev/null; then
        echo "demo: haagent node$i has exited; the end of $n/haagent.log:" >&2
        tail -n 15 "$n/haagent.log" | sed 's/^/    /' >&2
        if grep -q 'loop is not built yet' "$n/haagent.log"; then
          echo "demo: this build of haagent has no HA loop yet (issue #5). The DCS part of the demo" >&2
          echo "demo: runs: 'deploy/demo.sh status' shows it, 'deploy/demo.sh stop' stops it." >&2
          rm -f "$DEMO_DIR"/node*/haagent.pid
          exit 1
        fi
        die "haagent node$i failed ('deploy/demo.sh status' shows the rest, 'deploy/demo.sh stop' stops it)"
      fi
    done
    if ((SECONDS > deadline)); then
      hactl list >&2 || true
      die "the cluster was not healthy within ${WAIT_TIMEOUT}s (logs: $DEMO_DIR/node*/haagent.log, $DEMO_DIR/node*/pgdata/log)"
    fi
    sleep 1
  done
}

# check_rest: the agents' health checks agree with hactl list (what HAProxy will see).
check_rest() {
  local i l code want line=()
  l=$(leader_node) || return 0
  for i in "${NODES[@]}"; do
    if ((i == l)); then want=primary; else want=replica; fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X OPTIONS \
      "http://127.0.0.1:$(var "REST_PORT_$i")/$want" 2>/dev/null) || true
    line+=("node$i /$want $code")
    if [[ $code != 200 ]]; then
      say "note: node$i's REST API answers OPTIONS /$want with '${code:-nothing}' (expected 200)"
    fi
  done
  local joined
  joined=$(printf '%s, ' "${line[@]}")
  say "REST health checks: ${joined%, }"
}

# leader_node: N of the member hactl lists as the running leader.
leader_node() {
  local json name
  json=$(hactl list --format json 2>/dev/null | tr -d ' \n') || return 1
  name=$(grep -o '"Member":"node[0-9]","Pending[^}]*"Role":"Leader"' <<<"$json" | head -n 1 |
    sed 's/"Member":"node\([0-9]\)".*/\1/')
  [[ -n $name ]] && echo "$name"
}

print_next_steps() {
  local r1=$REST_PORT_1 r2=$REST_PORT_2 l p leader_pid="<PID of the leader's haagent>" leader_text='?'
  local ports=("$REST_PORT_1" "$REST_PORT_2" "$REST_PORT_3")
  if l=$(leader_node); then
    # /primary on the leader and /replica on another member answer 200
    r1=${ports[$((l - 1))]} r2=${ports[$((l % 3))]}
    if p=$(pid_of "$DEMO_DIR/node$l/haagent.pid"); then leader_pid=$p leader_text="node$l, pid $p"; fi
  fi
  cat <<EOF

The demo cluster '$SCOPE' runs (folder $DEMO_DIR). Next steps, to copy and paste:

  # the cluster (hactl reads the DCS endpoints and scope from an agent's config)
  export HACTL_CONFIG=$DEMO_DIR/node1/haagent.yml
  $BIN/hactl list
  $BIN/hactl topology

  # connect to the primary, whichever node it is (or to a member by its port: $PG_PORT_1, $PG_PORT_2, $PG_PORT_3)
  PGPASSFILE=$DEMO_DIR/pgpass psql "host=127.0.0.1,127.0.0.1,127.0.0.1 port=$PG_PORT_1,$PG_PORT_2,$PG_PORT_3 user=postgres dbname=postgres target_session_attrs=read-write"

  # health checks, as HAProxy does them (200 or 503)
  curl -s -o /dev/null -w '%{http_code}\n' -X OPTIONS http://127.0.0.1:$r1/primary
  curl -s -o /dev/null -w '%{http_code}\n' -X OPTIONS http://127.0.0.1:$r2/replica
  curl -s http://127.0.0.1:$r1/health; echo
  curl -s http://127.0.0.1:$r1/cluster; echo

  # a planned switchover to another member
  $BIN/hactl switchover

  # a failover: kill -9 the leader's agent (now $leader_text); its fence guard stops that
  # PostgreSQL at once and a replica takes over; then watch ('deploy/demo.sh status' shows PIDs)
  kill -9 $leader_pid
  $BIN/hactl list --watch 1

  # the DCS itself
  $BIN/hactl dcs status
  ETCDCTL_API=3 etcdctl --endpoints=$(dcs_endpoints) get --prefix /service/$SCOPE/ --keys-only

  # stop, start again, remove
  $REPO/deploy/demo.sh stop
  $REPO/deploy/demo.sh
  $REPO/deploy/demo.sh clean

Logs: $DEMO_DIR/node{1,2,3}/{hadcs,haagent}.log
EOF
}

# One demo.sh at a time per folder (the lock's fd is closed in the programs it starts).
take_lock() {
  exec 9>"$DEMO_DIR/.lock"
  flock -w 10 9 || die "another demo.sh is working on $DEMO_DIR (waited 10 s)"
}

cmd_start() {
  ((EUID == 0)) || die "run as root (sudo deploy/demo.sh): it installs packages and runs the cluster as the postgres user"
  local t_all=$SECONDS
  build_binaries
  id "$RUN_USER" >/dev/null 2>&1 || die "there is no '$RUN_USER' user (is postgresql-15 installed? deploy/install-deps.sh installs it)"
  [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb is missing (postgresql-15; deploy/install-deps.sh installs it)"
  command -v setpriv >/dev/null || die "setpriv is missing (util-linux)"
  command -v curl >/dev/null || die "curl is missing (deploy/install-deps.sh installs it)"

  install -d -m 0755 "$DEMO_DIR"
  if [[ -n $(ls -A "$DEMO_DIR" 2>/dev/null) && ! -e $MARKER ]]; then
    die "$DEMO_DIR exists and is not a demo folder; choose another with --dir"
  fi
  touch "$MARKER"
  take_lock

  copy_binaries
  if ! load_env; then
    choose_ports_and_secrets
    load_env
    say "chose ports: DCS $(dcs_endpoints), PostgreSQL $PG_PORT_1,$PG_PORT_2,$PG_PORT_3, REST $REST_PORT_1,$REST_PORT_2,$REST_PORT_3"
  fi
  write_configs
  local t_run=$SECONDS
  trap 'echo; say "interrupted; what was started keeps running: deploy/demo.sh status shows it, deploy/demo.sh stop stops it"; exit 130' INT
  start_hadcs
  wait_dcs
  start_agents
  wait_cluster
  check_rest
  echo
  hactl list
  say "started in $((SECONDS - t_run)) s after the build ($((SECONDS - t_all)) s in all)"
  print_next_steps
}

cmd_stop() {
  ((EUID == 0)) || die "run as root (sudo deploy/demo.sh $CMD): the demo's processes run as $RUN_USER"
  [[ -d $DEMO_DIR ]] || { say "nothing to stop ($DEMO_DIR does not exist)"; return 0; }
  [[ -e $MARKER ]] || die "$DEMO_DIR is not a demo folder"
  take_lock
  local i n pid
  # Agents first (each stops its PostgreSQL), then any PostgreSQL an agent left behind, then the
  # store the agents needed.
  for i in "${NODES[@]}"; do
    stop_pid "$DEMO_DIR/node$i/haagent.pid" "haagent node$i" 30 &
  done
  wait
  for i in "${NODES[@]}"; do
    n=$DEMO_DIR/node$i
    if pid=$(postmaster_pid "$i"); then
      say "stopping PostgreSQL node$i (postmaster pid $pid)"
      setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
        "$PG_BIN/pg_ctl" stop -D "$n/pgdata" -m fast -w -t 60 >/dev/null ||
        { say "fast shutdown failed; sending SIGQUIT to $pid"; kill -QUIT "$pid" 2>/dev/null || true; }
    fi
  done
  for i in "${NODES[@]}"; do
    stop_pid "$DEMO_DIR/node$i/hadcs.pid" "hadcs node$i" 10 &
  done
  wait
}

cmd_status() {
  [[ -d $DEMO_DIR && -e $MARKER ]] || { say "no demo in $DEMO_DIR (start one with deploy/demo.sh)"; return 3; }
  load_env || { say "no demo configured in $DEMO_DIR"; return 3; }
  local i n pid any=0 dcs_up=0
  printf '%-6s %-22s %-22s %-22s\n' node hadcs haagent postgres
  for i in "${NODES[@]}"; do
    n=$DEMO_DIR/node$i
    local a b c
    if pid=$(pid_of "$n/hadcs.pid"); then a="pid $pid :$(var "DCS_CLIENT_$i")"; any=1; dcs_up=1; else a=stopped; fi
    if pid=$(pid_of "$n/haagent.pid"); then b="pid $pid :$(var "REST_PORT_$i")"; any=1; else b=stopped; fi
    if pid=$(postmaster_pid "$i"); then c="pid $pid :$(var "PG_PORT_$i")"; any=1; else c=stopped; fi
    printf '%-6s %-22s %-22s %-22s\n' "node$i" "$a" "$b" "$c"
  done
  if ((dcs_up)); then
    echo
    hactl dcs status || true
    echo
    hactl list || true
  fi
  ((any)) || return 3
}

cmd_clean() {
  cmd_stop
  if [[ -d $DEMO_DIR ]]; then
    [[ -e $MARKER ]] || die "$DEMO_DIR is not a demo folder; not removing it"
    rm -rf --one-file-system "$DEMO_DIR"
    say "removed $DEMO_DIR"
  fi
}

main() {
  case $CMD in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    clean) cmd_clean ;;
  esac
}
# On one line: bash has read all of it before running it, so a 'git pull' that changes this file
# during a long build cannot make the running script read a mix of old and new text.
main; exit $?
