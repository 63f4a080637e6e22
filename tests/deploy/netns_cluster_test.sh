#!/usr/bin/env bash
# The three-machine install, simulated: three network namespaces (10.77.0.1-3 on a bridge, see
# netns_lib.sh), each with the configs deploy/ha-config.sh writes (as install.sh does), running
# hadcs and haagent as the postgres user, started directly since there is no systemd. Checked:
#   1. the cluster forms: one primary, two streaming replicas (hactl list), and a row written on
#      the primary is read on both replicas;
#   2. the primary's link is cut (silent network): a replica is promoted, the cut-off old primary
#      stops taking writes by itself, and at no instant are two writable primaries seen (the
#      last moment the old one is seen writable comes before the first moment the new one is);
#      the new primary takes writes;
#   3. the link comes back: the old primary rejoins as a streaming replica of the new one and
#      has the rows written without it.
# Everything created is removed on exit (netns_lib.sh), PostgreSQL included (by its
# postmaster.pid).
#
# usage: netns_cluster_test.sh HADCS HAAGENT HACTL     (root, ip netns and PostgreSQL 15; else exit 77)
set -euo pipefail

HADCS=${1:?usage: netns_cluster_test.sh HADCS HAAGENT HACTL}
HAAGENT=${2:?usage: netns_cluster_test.sh HADCS HAAGENT HACTL}
HACTL=${3:?usage: netns_cluster_test.sh HADCS HAAGENT HACTL}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO HADCS HAAGENT HACTL
# shellcheck source=tests/deploy/netns_lib.sh
source "$REPO/tests/deploy/netns_lib.sh"
readonly PG_BIN=/usr/lib/postgresql/15/bin
[[ -x $PG_BIN/postgres ]] || skip "PostgreSQL 15 is not installed ($PG_BIN)"
id postgres >/dev/null 2>&1 || skip "there is no postgres user"
command -v psql >/dev/null || skip "psql is not installed"
for b in "$HADCS" "$HAAGENT" "$HACTL"; do [[ -x $b ]] || fail "$b is not an executable"; done
readonly PEERS=n1=10.77.0.1,n2=10.77.0.2,n3=10.77.0.3
readonly SCOPE=netns

# PostgreSQL servers that outlived their agents (a failed run): stopped by their postmaster.pid.
after_processes_stopped() {
  local n pid d
  for n in 1 2 3; do
    d=$WORK/n$n/data/postgresql
    [[ -r $d/postmaster.pid ]] || continue
    pid=$(head -n 1 "$d/postmaster.pid")
    [[ $pid =~ ^[0-9]+$ && $(readlink "/proc/$pid/exe" 2>/dev/null) == */postgres ]] || continue
    echo "cleanup: PostgreSQL n$n (postmaster $pid) outlived its agent; immediate shutdown"
    kill -QUIT "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

make_network

# --- install flow: programs readable by postgres, configs from ha-config.sh ----------------------
install -d -m 0755 "$WORK/bin"
install -m 0755 "$HADCS" "$HAAGENT" "$HACTL" "$WORK/bin/"
for n in 1 2 3; do
  d=$WORK/n$n
  install -d -m 0755 "$d"
  install -d -m 0700 -o postgres -g postgres "$d/data" "$d/data/hadcs" "$d/run"
  "$REPO/deploy/ha-config.sh" --name "n$n" --ip "${IPS[$n]}" --peers "$PEERS" \
    --secrets "$WORK/secrets.env" --scope "$SCOPE" --out "$d/etc" --data-root "$d/data" \
    --socket-dir "$d/run" --watchdog off >/dev/null 2>&1 || fail "ha-config.sh failed for n$n"
  # Small servers: three of them share this machine.
  sed -i 's/^    shared_buffers: 256MB$/    shared_buffers: 32MB/; s/^    max_connections: 200$/    max_connections: 50/' \
    "$d/etc/haagent.yml"
  chmod 0755 "$d/etc"
  "$WORK/bin/haagent" --validate-config "$d/etc/haagent.yml" >/dev/null || fail "n$n: haagent rejects its config"
  install -m 0640 -o postgres -g postgres /dev/null "$d/hadcs.log"
  install -m 0640 -o postgres -g postgres /dev/null "$d/haagent.log"
done
# shellcheck disable=SC1091
source "$WORK/secrets.env"
export PGPASSWORD=$SUPERUSER_PASSWORD PGCONNECT_TIMEOUT=2
check "configs written by ha-config.sh for n1..n3"

for n in 1 2 3; do
  start_in_ns "hadcs-n$n" "$n" "$WORK/n$n/hadcs.log" --as postgres "$WORK/bin/hadcs" \
    --config-file "$WORK/n$n/etc/hadcs.yml"
done
one_dcs_leader() { [[ $(hadcs_leaders) =~ ^[123]$ ]]; }
deadline_loop 20 one_dcs_leader || fail "hadcs elected no leader within 20 s"
check "hadcs runs in the three namespaces (leader n$(hadcs_leaders))"

for n in 1 2 3; do
  start_in_ns "haagent-n$n" "$n" "$WORK/n$n/haagent.log" --as postgres "$WORK/bin/haagent" \
    -c "$WORK/n$n/etc/haagent.yml"
  FAILURE_LOGS+=("$WORK/n$n/data/postgresql/log/postgresql.log")
done

hactl_in() { # N ARGS...: hactl from node N, through all three DCS members
  local n=$1
  shift
  in_ns "$n" "$WORK/bin/hactl" --dcs "10.77.0.1:2379,10.77.0.2:2379,10.77.0.3:2379" \
    --scope "$SCOPE" --timeout 2 "$@"
}

# "LEADER STREAMING..." from hactl list as seen from node N: the leader's name when it runs, and
# the names of the streaming replicas.
list_state() {
  local json
  json=$(hactl_in "$1" list --format json 2>/dev/null | tr -d ' \n') || return 1
  local leader streaming
  leader=$(grep -o '"Member":"[^"]*","Pending[^}]*"Role":"Leader","State":"running"' <<<"$json" |
    sed 's/"Member":"\([^"]*\)".*/\1/')
  streaming=$(grep -o '"Member":"[^"]*","Pending[^}]*"Role":"[A-Za-z]*","State":"streaming"' <<<"$json" |
    sed 's/"Member":"\([^"]*\)".*/\1/' | sort | tr '\n' ' ')
  echo "$leader ${streaming% }"
}

healthy_from() { # N: one running leader and the two others streaming, seen from node N
  local s
  s=$(list_state "$1") || return 1
  local words
  read -r -a words <<<"$s"
  ((${#words[@]} == 3))
}

t_form=$SECONDS
deadline_loop 180 healthy_from 1 || { hactl_in 1 list || true; fail "the cluster did not form within 180 s"; }
read -r LEADER_NAME _ <<<"$(list_state 1)"
OLD=${LEADER_NAME#n}
check "the cluster formed in $((SECONDS - t_form)) s: primary n$OLD, two streaming replicas"
hactl_in 1 list || true

psql_on() { # N SQL: runs SQL on node N's PostgreSQL, from inside N's namespace; prints the result
  in_ns "$1" psql -X -q -t -A -h "${IPS[$1]}" -p 5432 -U postgres -d postgres -c "$2" 2>/dev/null
}
writable() { [[ $(psql_on "$1" 'select not pg_is_in_recovery()') == t ]]; }

psql_on "$OLD" 'create table ha_check(id int primary key, t text)' >/dev/null || fail "cannot create a table on the primary n$OLD"
psql_on "$OLD" "insert into ha_check values (1, 'before')" >/dev/null || fail "cannot write on the primary n$OLD"
OTHERS=()
for n in 1 2 3; do ((n != OLD)) && OTHERS+=("$n"); done
for n in "${OTHERS[@]}"; do
  has_row() { [[ $(psql_on "$1" 'select t from ha_check where id = 1') == before ]]; }
  deadline_loop 20 has_row "$n" || fail "replica n$n does not have the row written on the primary"
  writable "$n" && fail "replica n$n takes writes"
done
check "a row written on n$OLD is read on n${OTHERS[0]} and n${OTHERS[1]}; they are read-only"

# --- cut the primary's link ---------------------------------------------------------------------
cut_link "$OLD"
t_cut=$(date +%s%N)
log "cut the primary n$OLD's link"
now_ms() { echo $((($(date +%s%N) - t_cut) / 1000000)); }
old_last_writable=0 # ms after the cut at which the old primary was last seen writable
new_first_writable='' new_primary=''
while :; do
  t=$(now_ms)
  if writable "$OLD"; then old_last_writable=$(now_ms); fi
  for n in "${OTHERS[@]}"; do
    if [[ -z $new_first_writable ]] && writable "$n"; then
      # Before a query returns t, the server had been promoted: count it from the query's start.
      new_first_writable=$t new_primary=$n
    fi
  done
  if [[ -n $new_first_writable ]] && ! writable "$OLD"; then
    break
  fi
  (($(now_ms) < 60000)) || fail "60 s after the cut: new primary '${new_primary:-none}', old n$OLD writable at $old_last_writable ms"
  sleep 0.1
done
log "old primary n$OLD last seen writable $old_last_writable ms after the cut; n$new_primary first seen writable $new_first_writable ms after it"
((old_last_writable < new_first_writable)) ||
  fail "two writable primaries: n$OLD was writable at $old_last_writable ms, n$new_primary already at $new_first_writable ms"
check "n$new_primary was promoted and n$OLD stopped taking writes first: never two writable primaries"

# The old primary keeps refusing writes for as long as it is cut off.
t_watch=$SECONDS
for ((i = 0; i < 20; i++)); do
  writable "$OLD" && fail "the cut-off old primary n$OLD takes writes again"
  for n in "${OTHERS[@]}"; do
    ((n != new_primary)) && writable "$n" && fail "n$n and n$new_primary are both writable"
  done
  sleep 0.25
done
psql_on "$new_primary" "insert into ha_check values (2, 'during')" >/dev/null || fail "the new primary n$new_primary refuses writes"
check "the new primary n$new_primary takes writes; the cut-off n$OLD stayed read-only (20 checks over $((SECONDS - t_watch)) s)"

# --- heal ---------------------------------------------------------------------------------------
heal_link "$OLD"
log "restored n$OLD's link"
rejoined() {
  local s words
  s=$(list_state "$new_primary") || return 1
  read -r -a words <<<"$s"
  ((${#words[@]} == 3)) && [[ ${words[0]} == "n$new_primary" ]] && [[ " ${words[*]:1} " == *" n$OLD "* ]]
}
t_heal=$SECONDS
deadline_loop 120 rejoined || { hactl_in "$new_primary" list || true; fail "n$OLD did not rejoin as a streaming replica of n$new_primary within 120 s"; }
check "n$OLD rejoined as a streaming replica of n$new_primary in $((SECONDS - t_heal)) s"
has_during() { [[ $(psql_on "$OLD" 'select t from ha_check where id = 2') == during ]]; }
deadline_loop 20 has_during || fail "n$OLD does not have the row written while it was cut off"
writable "$OLD" && fail "n$OLD is writable after rejoining"
check "n$OLD has the row written without it and is read-only"
hactl_in "$new_primary" list || true
log "PASS"
