#!/usr/bin/env bash
# The one test command. Installs what is missing (deploy/install-deps.sh), configures and builds
# with a CMake preset, then runs the tests label by label: unit, sim, integration, e2e. A label
# without tests is skipped. Prints the output of failing tests, a closing line
# "N passed, M failed", and exits non-zero on any failure (including a failed build).
set -uo pipefail

usage() {
  cat <<'USAGE'
Usage: tests/run.sh [--labels unit,sim,integration,e2e] [--preset ci] [--no-install] [-j N]

  --labels LIST   comma-separated test labels to run, in this order (default: all four)
  --preset NAME   CMake configure/build/test preset (default: ci; see CMakePresets.json)
  --no-install    do not run deploy/install-deps.sh first
  -j N            parallel build jobs and parallel unit/sim tests (default: 2); integration
                  and e2e tests always run one at a time (they use real ports and processes)
  -h, --help      this text
USAGE
}

labels=unit,sim,integration,e2e
preset=ci
install=1
jobs=2
while (($#)); do
  case $1 in
    --labels) labels=${2:?--labels needs a value}; shift 2 ;;
    --labels=*) labels=${1#*=}; shift ;;
    --preset) preset=${2:?--preset needs a value}; shift 2 ;;
    --preset=*) preset=${1#*=}; shift ;;
    --no-install) install=0; shift ;;
    -j) jobs=${2:?-j needs a number}; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "tests/run.sh: unknown option '$1' (see tests/run.sh --help)" >&2; exit 2 ;;
  esac
done
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "tests/run.sh: -j needs a positive number, not '$jobs'" >&2
  exit 2
fi
IFS=, read -ra label_list <<<"$labels"
for label in "${label_list[@]}"; do
  case $label in
    unit|sim|integration|e2e) ;;
    *) echo "tests/run.sh: unknown label '$label' (labels: unit, sim, integration, e2e)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
start=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - start)); }

if ((install)); then
  step "installing dependencies"
  deploy/install-deps.sh || { echo "tests/run.sh: deploy/install-deps.sh failed" >&2; exit 1; }
fi

step "configuring (preset $preset)"
cmake --preset "$preset" || { echo "tests/run.sh: configure failed" >&2; exit 1; }

step "building (preset $preset, -j $jobs)"
cmake --build --preset "$preset" -j "$jobs" || { echo "tests/run.sh: build failed" >&2; exit 1; }

passed=0 failed=0 skipped=0
failed_labels=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for label in "${label_list[@]}"; do
  count=$(ctest --preset "$preset" -N -L "^${label}\$" 2>/dev/null | sed -n 's/^Total Tests: //p')
  if [[ -z $count || $count == 0 ]]; then
    step "no $label tests; skipping"
    continue
  fi
  parallel=$jobs
  repeat=()
  if [[ $label == integration || $label == e2e ]]; then
    parallel=1
    # Real processes on a shared 2-core machine: a test that fails is run once more, and its
    # first failure's output stays in the log above the retry.
    repeat=(--repeat until-pass:2)
  fi
  step "running $count $label tests"
  ctest --preset "$preset" -L "^${label}\$" --output-on-failure -j "$parallel" "${repeat[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [[ $summary =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    f=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    s=$(grep -cE '^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled)\)$' "$log")
    failed=$((failed + f)) skipped=$((skipped + s)) passed=$((passed + total - f - s))
    if ((rc != 0 && f == 0)); then  # ctest failed without counting a failed test
      failed=$((failed + 1))
    fi
  else
    echo "tests/run.sh: ctest for label $label ended without a summary (exit code $rc)" >&2
    failed=$((failed + 1))
  fi
  ((rc != 0)) && failed_labels+=("$label")
done

step "done"
if ((${#failed_labels[@]})); then
  echo "failing labels: ${failed_labels[*]}"
fi
if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0 && ${#failed_labels[@]} == 0))
