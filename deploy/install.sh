#!/usr/bin/env bash
# Installs hadcs, haagent and hactl on one machine of a bare-metal cluster (Debian 12, systemd):
# the programs in /usr/local/bin, the units hadcs.service and haagent.service, the folders
# /etc/ha and /var/lib/ha, and, given --name/--ip/--peers/--secrets, this node's
# /etc/ha/hadcs.yml and /etc/ha/haagent.yml (through deploy/ha-config.sh). It starts nothing.
# Run it on each of the three machines; docs/INSTALL.md is the walk-through.
#
#   deploy/install.sh [--dry-run] [--from DIR] \
#       [--name node1 --ip 10.0.0.1 --peers node1=10.0.0.1,node2=10.0.0.2,node3=10.0.0.3 \
#        --secrets /root/ha-secrets.env [--scope main] [--clients 10.0.0.0/24] [--force]]
#   deploy/install.sh --uninstall [--dry-run]
#
# Options:
#   --dry-run        say what would change, change nothing
#   --from DIR       where the built programs are: a build tree (DIR/dcs/hadcs, ...) or a folder
#                    holding hadcs, haagent and hactl (default: build/release of this clone)
#   --with-deps      install the Debian packages first (deploy/install-deps.sh)
#   --root DIR       install under DIR instead of / (a staging tree; systemd is left alone)
#   --uninstall      stop and disable the units, remove the programs and units; keeps /etc/ha and
#                    /var/lib/ha (the data), and says how to remove them
#   --name, --ip, --peers, --secrets, --scope, --clients, --watchdog, --force
#                    passed to deploy/ha-config.sh (see 'deploy/ha-config.sh --help')
# Idempotent: a second run with the same inputs changes nothing and says so.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
ROOT=
readonly RUN_USER=postgres
readonly PG_BIN=/usr/lib/postgresql/15/bin

DRY_RUN=0 WITH_DEPS=0 UNINSTALL=0
FROM=$REPO/build/release
CONFIG_ARGS=()

die() { echo "install: $*" >&2; exit 1; }
usage_error() { echo "install: $*" >&2; echo "run '$0 --help' for the options" >&2; exit 2; }
say() { echo "install: $*"; }

while (($#)); do
  case $1 in
    --dry-run) DRY_RUN=1; CONFIG_ARGS+=(--dry-run) ;;
    --with-deps) WITH_DEPS=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --from) (($# >= 2)) || usage_error "--from needs a folder"; FROM=$2; shift ;;
    --root) (($# >= 2)) || usage_error "--root needs a folder"; ROOT=${2%/}; shift ;;
    --name | --ip | --peers | --secrets | --scope | --clients | --watchdog)
      (($# >= 2)) || usage_error "$1 needs a value"; CONFIG_ARGS+=("$1" "$2"); shift ;;
    --force) CONFIG_ARGS+=(--force) ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done

# --root DIR installs into a staging tree (packaging, tests): every path below is under DIR, the
# configs still name the real paths, and systemd is left alone.
[[ -z $ROOT || $ROOT == /* ]] || usage_error "--root must be an absolute path"
readonly ROOT
readonly PREFIX=$ROOT/usr/local
readonly UNIT_DIR=$ROOT/etc/systemd/system
readonly ETC=$ROOT/etc/ha
readonly DATA_REAL=/var/lib/ha
readonly DATA=$ROOT$DATA_REAL
readonly DOC_DIR=$PREFIX/share/doc/ha

if ((EUID != 0 && !DRY_RUN)); then
  die "run as root (or with sudo); --dry-run shows what would change without root"
fi

CHANGED=0
# act DESCRIPTION COMMAND...: runs the command, or only describes it under --dry-run.
act() {
  local what=$1
  shift
  CHANGED=1
  if ((DRY_RUN)); then
    say "would $what"
  else
    say "$what"
    "$@"
  fi
}

have_systemd() { [[ -z $ROOT && -d /run/systemd/system ]] && command -v systemctl >/dev/null; }

# install_file SRC DEST MODE: copies when missing or different.
install_file() {
  local src=$1 dest=$2 mode=$3
  if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
    return 0
  fi
  act "install $dest" install -D -m "$mode" "$src" "$dest"
}

# ensure_dir DIR MODE OWNER GROUP
ensure_dir() {
  local dir=$1 mode=$2 owner=$3 group=$4
  if [[ -d $dir ]]; then
    local now
    now=$(stat -c '%a %U %G' "$dir")
    [[ $now == "${mode#0} $owner $group" ]] && return 0
    act "set $dir to $mode $owner:$group (was $now)" chmod "$mode" "$dir"
    ((DRY_RUN)) || chown "$owner:$group" "$dir"
  else
    act "create $dir ($mode $owner:$group)" install -d -m "$mode" -o "$owner" -g "$group" "$dir"
  fi
}

uninstall() {
  local unit
  if have_systemd; then
    for unit in haagent hadcs; do
      if systemctl is-active --quiet "$unit" || systemctl is-enabled --quiet "$unit" 2>/dev/null; then
        act "stop and disable $unit.service" systemctl disable --now "$unit.service"
      fi
    done
  fi
  for f in "$UNIT_DIR/haagent.service" "$UNIT_DIR/hadcs.service" "$PREFIX/bin/haagent" \
    "$PREFIX/bin/hadcs" "$PREFIX/bin/hactl"; do
    [[ -e $f ]] && act "remove $f" rm -f "$f"
  done
  [[ -d $DOC_DIR ]] && act "remove $DOC_DIR" rm -rf "$DOC_DIR"
  if have_systemd && ((CHANGED)); then act "reload systemd" systemctl daemon-reload; fi
  ((CHANGED)) || say "nothing to remove"
  say "kept $ETC (configs, passwords) and $DATA (the DCS and PostgreSQL data)."
  say "remove them too, when this node is out of the cluster for good: rm -rf $ETC $DATA"
}

if ((UNINSTALL)); then
  uninstall
  exit 0
fi

# --- packages --------------------------------------------------------------------------------
if ((WITH_DEPS)); then
  if ((DRY_RUN)); then
    "$REPO/deploy/install-deps.sh" --list | tr '\n' ' ' | sed 's/^/install: would make sure these packages are installed: /'
    echo
  else
    "$REPO/deploy/install-deps.sh"
  fi
fi
if ! id "$RUN_USER" >/dev/null 2>&1 || [[ ! -x $PG_BIN/postgres ]]; then
  die "PostgreSQL 15 is not installed (no '$RUN_USER' user or no $PG_BIN/postgres): apt-get install postgresql-15, or run with --with-deps"
fi

# --- programs --------------------------------------------------------------------------------
declare -A SRC=()
for prog in hadcs haagent hactl; do
  case $prog in hadcs) sub=dcs ;; haagent) sub=agent ;; hactl) sub=ctl ;; esac
  if [[ -x $FROM/$sub/$prog ]]; then
    SRC[$prog]=$FROM/$sub/$prog
  elif [[ -x $FROM/$prog ]]; then
    SRC[$prog]=$FROM/$prog
  else
    die "no $prog in $FROM (build first: cmake --preset release && cmake --build --preset release --target hadcs haagent hactl; or give --from DIR)"
  fi
  missing=$(ldd "${SRC[$prog]}" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
  [[ -z $missing ]] || die "$prog needs libraries this machine lacks: $missing(run with --with-deps)"
done
for prog in hadcs haagent hactl; do
  install_file "${SRC[$prog]}" "$PREFIX/bin/$prog" 0755
done

# --- folders ---------------------------------------------------------------------------------
ensure_dir "$ETC" 0750 root "$RUN_USER"
ensure_dir "$DATA" 0700 "$RUN_USER" "$RUN_USER"
ensure_dir "$DATA/hadcs" 0700 "$RUN_USER" "$RUN_USER"

# --- units and docs --------------------------------------------------------------------------
units_changed=0
for unit in hadcs haagent; do
  before=$CHANGED
  CHANGED=0
  install_file "$REPO/deploy/systemd/$unit.service" "$UNIT_DIR/$unit.service" 0644
  ((CHANGED)) && units_changed=1
  ((CHANGED |= before)) || true
done
if ((units_changed)) && have_systemd; then
  act "reload systemd (systemctl daemon-reload)" systemctl daemon-reload
fi
install_file "$REPO/docs/INSTALL.md" "$DOC_DIR/INSTALL.md" 0644
for f in "$REPO"/deploy/examples/*; do
  [[ -f $f ]] || continue
  install_file "$f" "$DOC_DIR/examples/$(basename "$f")" 0644
done

# --- this node's configs ---------------------------------------------------------------------
if ((${#CONFIG_ARGS[@]} > 0)) && [[ ${CONFIG_ARGS[*]} != --dry-run ]]; then
  "$REPO/deploy/ha-config.sh" --out "$ETC" --data-root "$DATA_REAL" "${CONFIG_ARGS[@]}"
elif [[ ! -f $ETC/hadcs.yml || ! -f $ETC/haagent.yml ]]; then
  say "no configs in $ETC yet: run again with --name, --ip, --peers and --secrets (docs/INSTALL.md),"
  say "or write them from $DOC_DIR/examples/"
fi

# --- what else could bite --------------------------------------------------------------------
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | awk '$4 == "online"' | grep -q .; then
  say "warning: Debian's own PostgreSQL cluster runs (pg_lsclusters). It takes port 5432, which"
  say "  haagent's PostgreSQL needs: pg_dropcluster --stop 15 main (when it holds nothing you need)"
fi
if have_systemd && systemctl is-enabled --quiet postgresql 2>/dev/null && [[ -n $(ls /etc/postgresql/ 2>/dev/null) ]]; then
  say "note: postgresql.service is enabled and starts Debian's clusters at boot; if you keep one,"
  say "  move it off port 5432 (or: systemctl disable postgresql)"
fi

if ((DRY_RUN)); then
  ((CHANGED)) || say "nothing to change"
  say "dry run: nothing was changed"
elif ((CHANGED)); then
  say "done. Next (docs/INSTALL.md): on all three machines, systemctl enable --now hadcs; then systemctl enable --now haagent"
else
  say "everything is already installed and up to date"
fi
