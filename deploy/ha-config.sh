#!/usr/bin/env bash
# Writes one node's /etc/ha/hadcs.yml and /etc/ha/haagent.yml for a three (or five) machine
# cluster in which every machine runs one hadcs member and one haagent beside PostgreSQL 15.
# deploy/install.sh calls this; so do tests/deploy and the examples in deploy/examples/ come from
# it. It only writes files: nothing is started.
#
#   deploy/ha-config.sh --name node1 --ip 10.0.0.1 \
#       --peers node1=10.0.0.1,node2=10.0.0.2,node3=10.0.0.3 --secrets /root/ha-secrets.env
#
# Options:
#   --name NAME          this member's name (one of --peers)
#   --ip ADDRESS         this machine's address that the others reach
#   --peers N=IP,...     every member, this one included (the same list on every machine)
#   --secrets FILE       the cluster's passwords, shared by all machines: read when FILE exists,
#                        else created with random values (mode 0600); copy it to the other machines
#   --scope NAME         the cluster's name (default: main)
#   --out DIR            where to write hadcs.yml and haagent.yml (default: /etc/ha)
#   --data-root DIR      hadcs's data dir is DIR/hadcs, PostgreSQL's DIR/postgresql (default /var/lib/ha)
#   --clients CIDR       also let clients from CIDR connect to PostgreSQL (repeatable; e.g. the
#                        HAProxy or application subnet). The members can always connect.
#   --socket-dir DIR     PostgreSQL's unix socket folder (default: the server's, /var/run/postgresql)
#   --watchdog MODE      off, automatic (default) or required
#   --force              overwrite files that differ (default: refuse and show the difference)
#   --dry-run            print what would be written, write nothing
# Ports are the usual ones: hadcs 2379 (clients), 2380 (peers), 2381 (/health, /metrics);
# PostgreSQL 5432; haagent's REST API 8008.
set -euo pipefail

NAME='' IP='' PEERS='' SECRETS='' SCOPE=main OUT=/etc/ha DATA_ROOT=/var/lib/ha SOCKET_DIR='' WATCHDOG=automatic
FORCE=0 DRY_RUN=0
CLIENTS=()
readonly PG_BIN=/usr/lib/postgresql/15/bin

die() { echo "ha-config: $*" >&2; exit 1; }
usage_error() { echo "ha-config: $*" >&2; echo "run '$0 --help' for the options" >&2; exit 2; }

while (($#)); do
  case $1 in
    --name | --ip | --peers | --secrets | --scope | --out | --data-root | --clients | --socket-dir | --watchdog)
      (($# >= 2)) || usage_error "$1 needs a value"
      case $1 in
        --name) NAME=$2 ;; --ip) IP=$2 ;; --peers) PEERS=$2 ;; --secrets) SECRETS=$2 ;;
        --scope) SCOPE=$2 ;; --out) OUT=$2 ;; --data-root) DATA_ROOT=$2 ;;
        --clients) CLIENTS+=("$2") ;; --socket-dir) SOCKET_DIR=$2 ;; --watchdog) WATCHDOG=$2 ;;
      esac
      shift ;;
    --force) FORCE=1 ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done

[[ -n $NAME ]] || usage_error "--name is required"
[[ -n $IP ]] || usage_error "--ip is required"
[[ -n $PEERS ]] || usage_error "--peers is required (name=ip,name=ip,...)"
[[ -n $SECRETS ]] || usage_error "--secrets is required (a file shared by all machines; created when missing)"
[[ $NAME =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || usage_error "--name '$NAME': use letters, digits, '.', '_' and '-'"
[[ $SCOPE =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || usage_error "--scope '$SCOPE': use letters, digits, '.', '_' and '-'"
[[ $IP =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || usage_error "--ip '$IP' is not an IPv4 address"
[[ $WATCHDOG =~ ^(off|automatic|required)$ ]] || usage_error "--watchdog is off, automatic or required, not '$WATCHDOG'"
for c in "${CLIENTS[@]}"; do
  [[ $c =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || usage_error "--clients '$c' is not an IPv4 CIDR (10.0.0.0/24)"
done

declare -a PEER_NAMES=() PEER_IPS=()
IFS=, read -r -a items <<<"$PEERS"
self_found=0
for item in "${items[@]}"; do
  [[ $item =~ ^([A-Za-z0-9][A-Za-z0-9_.-]*)=([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)$ ]] ||
    usage_error "--peers: '$item' is not name=IPv4"
  PEER_NAMES+=("${BASH_REMATCH[1]}")
  PEER_IPS+=("${BASH_REMATCH[2]}")
  if [[ ${BASH_REMATCH[1]} == "$NAME" ]]; then
    [[ ${BASH_REMATCH[2]} == "$IP" ]] || usage_error "--peers gives $NAME the address ${BASH_REMATCH[2]}, --ip says $IP"
    self_found=1
  fi
done
((self_found)) || usage_error "--peers does not list this member ($NAME=$IP)"
((${#PEER_NAMES[@]} % 2 == 1)) || echo "ha-config: warning: ${#PEER_NAMES[@]} members; an odd number (3 or 5) tolerates as many failures with fewer machines" >&2
[[ $(printf '%s\n' "${PEER_NAMES[@]}" | sort | uniq -d) == "" ]] || usage_error "--peers names a member twice"

random_secret() {
  local s
  s=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  echo "${s:0:24}"
}

if [[ -f $SECRETS ]]; then
  # shellcheck disable=SC1090
  source "$SECRETS"
  for v in SUPERUSER_PASSWORD REPLICATION_PASSWORD REWIND_PASSWORD RESTAPI_PASSWORD; do
    [[ -n ${!v:-} ]] || die "$SECRETS does not set $v"
  done
elif ((DRY_RUN)); then
  SUPERUSER_PASSWORD='<from the secrets file>' REPLICATION_PASSWORD=$SUPERUSER_PASSWORD
  REWIND_PASSWORD=$SUPERUSER_PASSWORD RESTAPI_PASSWORD=$SUPERUSER_PASSWORD
  echo "ha-config: would create $SECRETS with random passwords" >&2
else
  SUPERUSER_PASSWORD=$(random_secret) REPLICATION_PASSWORD=$(random_secret)
  REWIND_PASSWORD=$(random_secret) RESTAPI_PASSWORD=$(random_secret)
  (
    umask 077
    cat >"$SECRETS" <<EOF
# The passwords of the HA cluster '$SCOPE', the same on every machine (written by ha-config.sh on
# $(date -Is)). Copy this file to the other machines and give it to install.sh there too.
SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD
REPLICATION_PASSWORD=$REPLICATION_PASSWORD
REWIND_PASSWORD=$REWIND_PASSWORD
RESTAPI_PASSWORD=$RESTAPI_PASSWORD
EOF
  )
  echo "ha-config: created $SECRETS with new random passwords: copy it to the other machines" >&2
fi

join() { local IFS=$1; shift; echo "$*"; }
initial_cluster=() endpoints=() hba=()
for i in "${!PEER_NAMES[@]}"; do
  initial_cluster+=("${PEER_NAMES[$i]}=http://${PEER_IPS[$i]}:2380")
  endpoints+=("${PEER_IPS[$i]}:2379")
  hba+=("    - host replication replicator ${PEER_IPS[$i]}/32 scram-sha-256"
    "    - host all all ${PEER_IPS[$i]}/32 scram-sha-256")
done
for c in "${CLIENTS[@]}"; do hba+=("    - host all all $c scram-sha-256"); done

hadcs_yml() {
  cat <<EOF
# hadcs member $NAME of the cluster '$SCOPE' (written by deploy/ha-config.sh). Keys are hadcs's
# long option names (hadcs --help). --initial-cluster is read at the first start only; later starts
# take the membership from the data directory.
name: $NAME
data-dir: $DATA_ROOT/hadcs
listen-client-urls: http://$IP:2379,http://127.0.0.1:2379
advertise-client-urls: http://$IP:2379
listen-peer-urls: http://$IP:2380
initial-advertise-peer-urls: http://$IP:2380
initial-cluster: $(join , "${initial_cluster[@]}")
initial-cluster-token: ha-$SCOPE
metrics-listen: http://$IP:2381
EOF
}

haagent_yml() {
  cat <<EOF
# haagent member $NAME of the cluster '$SCOPE' (written by deploy/ha-config.sh). Patroni's key
# names; the cluster-wide timing (ttl, loop_wait, retry_timeout) is the agent's default until
# changed with 'hactl edit-config'.
scope: $SCOPE
name: $NAME
namespace: /service

dcs:
  endpoints: [$(join , "${endpoints[@]}" | sed 's/,/, /g')]

restapi:
  listen: $IP:8008
  connect_address: $IP:8008
  authentication:          # required for POST requests (switchover, restart, ...)
    username: admin
    password: $RESTAPI_PASSWORD

postgresql:
  data_dir: $DATA_ROOT/postgresql
  bin_dir: $PG_BIN
  listen: $IP:5432
  connect_address: $IP:5432
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
EOF
  if [[ -n $SOCKET_DIR ]]; then
    echo "    unix_socket_directories: $SOCKET_DIR"
  fi
  cat <<EOF
    max_connections: 200
    shared_buffers: 256MB
  pg_hba:
    - local all postgres peer
    - local all all scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
$(printf '%s\n' "${hba[@]}")
  use_pg_rewind: true
  remove_data_directory_on_rewind_failure: true

watchdog:
  mode: $WATCHDOG
EOF
}

# place FILE MODE: stdin becomes FILE (unless it differs and --force is missing).
place() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    echo "ha-config: $file is up to date"
    return 0
  fi
  if ((DRY_RUN)); then
    if [[ -f $file ]]; then
      echo "---- would change $file$( ((FORCE)) || echo ' (needs --force)'):"
      diff -u "$file" "$tmp" | sed -E 's/(password: ).*/\1<secret>/' || true
    else
      echo "---- would write $file (mode $mode, owner root:postgres):"
      sed -E 's/(password: ).*/\1<secret>/' "$tmp"
    fi
    rm -f "$tmp"
    return 0
  fi
  if [[ -f $file ]]; then
    if ((!FORCE)); then
      echo "ha-config: $file exists and differs from what these options give:" >&2
      diff -u "$file" "$tmp" | sed -E 's/(password: ).*/\1<secret>/' >&2 || true
      rm -f "$tmp"
      die "keeping it; give --force to overwrite"
    fi
    cp -p "$file" "$file.bak"
    echo "ha-config: $file changed (the old one is $file.bak)"
  else
    echo "ha-config: wrote $file"
  fi
  install -m "$mode" "$tmp" "$file"
  if getent group postgres >/dev/null; then chgrp postgres "$file"; fi
  rm -f "$tmp"
}

((DRY_RUN)) || [[ -d $OUT ]] || install -d -m 0755 "$OUT"
hadcs_yml | place "$OUT/hadcs.yml" 0640
haagent_yml | place "$OUT/haagent.yml" 0640
