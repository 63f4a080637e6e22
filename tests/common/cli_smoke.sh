#!/usr/bin/env bash
# Runs a built program with --help, --version and an unknown option, and checks what it prints
# and its exit codes. Usage: cli_smoke.sh PATH_TO_BINARY NAME
set -u
bin=$1
name=$2
fail=0
check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi
}
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"$bin" --help >"$out" 2>"$err"; rc=$?
check "--help exits 0 (got $rc)" test "$rc" -eq 0
check "--help prints a usage line" grep -q "^Usage: $name" "$out"
check "--help prints nothing on stderr" test ! -s "$err"

"$bin" --version >"$out" 2>"$err"; rc=$?
check "--version exits 0 (got $rc)" test "$rc" -eq 0
check "--version prints '$name X.Y.Z...' (got: $(head -c 200 "$out"))" \
  grep -Eq "^$name [0-9]+\.[0-9]+\.[0-9]+" "$out"
check "--version prints one line" test "$(wc -l <"$out")" -eq 1

"$bin" --no-such-option >"$out" 2>"$err"; rc=$?
check "an unknown option exits 2 (got $rc)" test "$rc" -eq 2
check "an unknown option prints nothing on stdout" test ! -s "$out"
check "an unknown option gives one line on stderr (got: $(head -c 300 "$err"))" \
  test "$(wc -l <"$err")" -eq 1
check "the line starts with '$name: ' and names the option" grep -Eq "^$name: .*--no-such-option" "$err"
exit $fail
