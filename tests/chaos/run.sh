#!/usr/bin/env bash
# Runs a chaos campaign against hadcs (tests/chaos/campaign_main.cpp) and keeps its report:
#   tests/chaos/run.sh --minutes N --seed S [--members 3|5] [--out DIR] [--build DIR]
#                      [--campaign BIN --hadcs BIN] [--keep] [--rollback]
# Builds chaos_campaign and hadcs in --build (default build/chaos) unless both binaries are given.
# The report is DIR/report.txt (faults, operations, checker verdicts), with DIR/history.txt and an
# anomaly-N.txt per anomaly (replay: chaos_campaign --check FILE); the members' logs stay in
# DIR/work when anything was found (or with --keep). Needs root (network namespaces); exits 77
# (skipped) otherwise. --rollback adds the fault "a member's data folder restored from an older
# copy" (off by default: a member that refuses such a folder counts as a crash in the report). Whatever happens to the campaign, its namespaces (named after its PID)
# are deleted here by name.
# The whole script is read before it runs (one block), so editing it during a campaign is safe.
#
# --pg: the PostgreSQL-layer campaign instead (tests/chaos/pg: 3 namespaces with hadcs + haagent +
# PostgreSQL 15, unique inserts, split-brain polling, kills/pauses/partitions of the agents, hadcs and
# PostgreSQL):
#   tests/chaos/run.sh --pg --minutes N --seed S [--async] [--out DIR] [--keep]
#                      [--pg-campaign BIN --hadcs BIN --haagent BIN --hactl BIN]
# Builds chaos_pg_campaign, hadcs, haagent and hactl in --build unless all four are given. Report:
# DIR/report.txt, DIR/ops.txt (every insert), DIR/logs (agents, hadcs, PostgreSQL) on anomaly.
# PostgreSQL servers the campaign left behind (it was killed) are stopped here by postmaster.pid.
{
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MINUTES=5 SEED=1 MEMBERS=3 OUT= BUILD=$REPO/build/chaos CAMPAIGN= HADCS= KEEP=()
PG=0 PG_CAMPAIGN= HAAGENT= HACTL=
while (($#)); do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --seconds) MINUTES=$(awk "BEGIN{print $2/60}"); shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --members) MEMBERS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --campaign) CAMPAIGN=$2; shift 2 ;;
    --hadcs) HADCS=$2; shift 2 ;;
    --keep) KEEP+=(--keep); shift ;;
    --rollback) KEEP+=(--rollback); shift ;;
    --pg) PG=1; shift ;;
    --async) KEEP+=(--async); shift ;;
    --pg-campaign) PG_CAMPAIGN=$2; shift 2 ;;
    --haagent) HAAGENT=$2; shift 2 ;;
    --hactl) HACTL=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
((EUID == 0)) || { echo "SKIP: needs root to create network namespaces"; exit 77; }
if ((PG)); then
  if [[ -z $PG_CAMPAIGN || -z $HADCS || -z $HAAGENT || -z $HACTL ]]; then
    if [[ ! -f $BUILD/build.ninja ]]; then
      cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHA_BUILD_TESTS=ON >/dev/null || exit 1
    fi
    cmake --build "$BUILD" -j2 --target chaos_pg_campaign hadcs haagent hactl >/dev/null ||
      { echo "run.sh: build failed" >&2; exit 1; }
    PG_CAMPAIGN=$BUILD/tests/chaos/pg/chaos_pg_campaign HADCS=$BUILD/dcs/hadcs
    HAAGENT=$BUILD/agent/haagent HACTL=$BUILD/ctl/hactl
  fi
  OUT=${OUT:-/tmp/ha-chaos-pg-$(date +%Y%m%d-%H%M%S)-seed$SEED}
  mkdir -p "$OUT"
  SECONDS_TOTAL=$(awk "BEGIN{print int($MINUTES*60)}")
  "$PG_CAMPAIGN" --hadcs "$HADCS" --haagent "$HAAGENT" --hactl "$HACTL" --seconds "$SECONDS_TOTAL" \
    --seed "$SEED" --out "$OUT" "${KEEP[@]}" &
  PID=$!
  trap 'kill -TERM $PID 2>/dev/null' INT TERM
  wait $PID
  RC=$?
  while kill -0 $PID 2>/dev/null; do wait $PID; RC=$?; done
  # A campaign that was killed leaves its PostgreSQL servers (daemons) and namespaces behind.
  for f in /tmp/ha-chaos-pg-work-$PID/n*/data/postgresql/postmaster.pid; do
    [[ -r $f ]] || continue
    pm=$(head -n 1 "$f")
    if [[ $pm =~ ^[0-9]+$ && $(readlink "/proc/$pm/exe" 2>/dev/null) == */postgres ]]; then
      echo "run.sh: stopping PostgreSQL $pm left by the campaign ($f)"
      kill -QUIT "$pm" 2>/dev/null; sleep 1; kill -KILL "$pm" 2>/dev/null
    fi
  done
  [[ -d /tmp/ha-chaos-pg-work-$PID ]] && rm -rf "/tmp/ha-chaos-pg-work-$PID"
  for n in sw c n1 n2 n3; do
    ip netns del "hac-$n-$PID" 2>/dev/null && echo "run.sh: removed namespace hac-$n-$PID left by the campaign"
  done
  echo "run.sh: exit $RC; report: $OUT/report.txt"
  exit $RC
fi
if [[ -z $CAMPAIGN || -z $HADCS ]]; then
  if [[ ! -f $BUILD/build.ninja ]]; then
    cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHA_BUILD_TESTS=ON >/dev/null || exit 1
  fi
  cmake --build "$BUILD" -j2 --target chaos_campaign hadcs >/dev/null || { echo "run.sh: build failed" >&2; exit 1; }
  CAMPAIGN=$BUILD/tests/chaos/chaos_campaign HADCS=$BUILD/dcs/hadcs
fi
OUT=${OUT:-/tmp/ha-chaos-$(date +%Y%m%d-%H%M%S)-seed$SEED}
mkdir -p "$OUT"

SECONDS_TOTAL=$(awk "BEGIN{print int($MINUTES*60)}")
"$CAMPAIGN" --hadcs "$HADCS" --seconds "$SECONDS_TOTAL" --seed "$SEED" --members "$MEMBERS" --out "$OUT" \
  "${KEEP[@]}" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null' INT TERM
wait $PID
RC=$?
while kill -0 $PID 2>/dev/null; do wait $PID; RC=$?; done
for n in sw c n1 n2 n3 n4 n5 n6 n7 n8 n9; do
  ip netns del "hac-$n-$PID" 2>/dev/null && echo "run.sh: removed namespace hac-$n-$PID left by the campaign"
done
echo "run.sh: exit $RC; report: $OUT/report.txt"
exit $RC
}
