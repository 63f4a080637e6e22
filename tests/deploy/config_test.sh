#!/usr/bin/env bash
# deploy/ha-config.sh: the configs it writes for three nodes are accepted by haagent
# --validate-config, a second run changes nothing, a changed option is refused without --force,
# bad options exit 2, and deploy/examples/ is exactly what it writes for 10.0.0.1-3. As root:
# deploy/install.sh --root DIR installs everything with the right owners and modes, a second
# run changes nothing, and --uninstall removes the programs and units but keeps configs and data.
# usage: config_test.sh HAAGENT
set -euo pipefail
HAAGENT=${1:?usage: config_test.sh HAAGENT}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GEN=$REPO/deploy/ha-config.sh
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
PEERS=node1=10.0.0.1,node2=10.0.0.2,node3=10.0.0.3

# The examples: placeholders for the passwords.
cat >"$WORK/example-secrets.env" <<'S'
SUPERUSER_PASSWORD=change-me-superuser
REPLICATION_PASSWORD=change-me-replication
REWIND_PASSWORD=change-me-rewind
RESTAPI_PASSWORD=change-me-restapi
S
for i in 1 2 3; do
  "$GEN" --name "node$i" --ip "10.0.0.$i" --peers "$PEERS" --secrets "$WORK/example-secrets.env" \
    --clients 10.0.0.0/24 --out "$WORK/ex$i" >/dev/null
  for f in hadcs haagent; do
    diff -u "$REPO/deploy/examples/node$i.$f.yml" "$WORK/ex$i/$f.yml" ||
      fail "deploy/examples/node$i.$f.yml is not what ha-config.sh writes (regenerate it)"
  done
done
echo "ok: deploy/examples/ matches ha-config.sh"

# New secrets: created once, then shared.
for i in 1 2 3; do
  "$GEN" --name "node$i" --ip "10.0.0.$i" --peers "$PEERS" --secrets "$WORK/secrets.env" \
    --out "$WORK/n$i" >/dev/null 2>&1 || fail "ha-config.sh failed for node$i"
  "$HAAGENT" --validate-config "$WORK/n$i/haagent.yml" >/dev/null || fail "haagent rejects node$i's config"
done
[[ $(stat -c %a "$WORK/secrets.env") == 600 ]] || fail "the secrets file is not mode 600"
p1=$(sed -n 's/^ *password: //p' "$WORK/n1/haagent.yml" | sort)
p3=$(sed -n 's/^ *password: //p' "$WORK/n3/haagent.yml" | sort)
[[ -n $p1 && $p1 == "$p3" ]] || fail "node1 and node3 got different passwords"
grep -q '^initial-cluster: node1=http://10.0.0.1:2380,node2=http://10.0.0.2:2380,node3=http://10.0.0.3:2380$' \
  "$WORK/n2/hadcs.yml" || fail "node2's initial-cluster is wrong"
echo "ok: three valid configs sharing one set of passwords"

out=$("$GEN" --name node1 --ip 10.0.0.1 --peers "$PEERS" --secrets "$WORK/secrets.env" --out "$WORK/n1")
grep -q 'up to date' <<<"$out" || fail "a second run did not say 'up to date': $out"
if "$GEN" --name node1 --ip 10.0.0.1 --peers "$PEERS" --secrets "$WORK/secrets.env" --out "$WORK/n1" \
  --scope other >/dev/null 2>&1; then
  fail "a changed config was overwritten without --force"
fi
"$GEN" --name node1 --ip 10.0.0.1 --peers "$PEERS" --secrets "$WORK/secrets.env" --out "$WORK/n1" \
  --scope other --force >/dev/null || fail "--force did not overwrite"
grep -q '^scope: other$' "$WORK/n1/haagent.yml" || fail "--force did not write the new scope"
[[ -f $WORK/n1/haagent.yml.bak ]] || fail "--force kept no backup"
echo "ok: idempotent; a change needs --force and keeps a .bak"

expect_usage_error() {
  local rc=0
  "$GEN" "$@" >/dev/null 2>&1 || rc=$?
  ((rc == 2)) || fail "ha-config.sh $* exited $rc, not 2"
}
expect_usage_error --name node4 --ip 10.0.0.4 --peers "$PEERS" --secrets "$WORK/secrets.env" --out "$WORK/x"
expect_usage_error --name node1 --ip 10.0.0.9 --peers "$PEERS" --secrets "$WORK/secrets.env" --out "$WORK/x"
expect_usage_error --name node1 --ip 10.0.0.1 --peers node1=10.0.0.1,bad --secrets "$WORK/secrets.env"
expect_usage_error --name node1 --ip 10.0.0.1 --peers "$PEERS"
expect_usage_error --bogus
[[ ! -e $WORK/x ]] || fail "a refused run wrote files"
echo "ok: bad options exit 2 and write nothing"

if ((EUID != 0)) || ! id postgres >/dev/null 2>&1; then
  echo "install.sh part skipped: needs root and a postgres user"
  echo PASS
  exit 0
fi
BIN=$(dirname "$HAAGENT")/..
R=$WORK/root
mkdir -p "$WORK/programs"
for p in dcs/hadcs agent/haagent ctl/hactl; do
  # Only haagent is needed here; stand-ins for the others keep the test off their build.
  if [[ -x $BIN/$p ]]; then cp "$BIN/$p" "$WORK/programs/"; else cp "$HAAGENT" "$WORK/programs/${p#*/}"; fi
done
args=(--root "$R" --from "$WORK/programs" --name node2 --ip 10.0.0.2 --peers "$PEERS" --secrets "$WORK/secrets.env")
"$REPO/deploy/install.sh" "${args[@]}" >"$WORK/install1.out" 2>&1 || { cat "$WORK/install1.out"; fail "install.sh failed"; }
expect_mode() { # PATH "MODE OWNER GROUP"
  local got
  got=$(stat -c '%a %U %G' "$R$1")
  [[ $got == "$2" ]] || fail "$1 is '$got', expected '$2'"
}
expect_mode /usr/local/bin/hadcs "755 root root"
expect_mode /usr/local/bin/haagent "755 root root"
expect_mode /usr/local/bin/hactl "755 root root"
expect_mode /etc/ha "750 root postgres"
expect_mode /etc/ha/haagent.yml "640 root postgres"
expect_mode /etc/ha/hadcs.yml "640 root postgres"
expect_mode /var/lib/ha "700 postgres postgres"
expect_mode /var/lib/ha/hadcs "700 postgres postgres"
expect_mode /etc/systemd/system/hadcs.service "644 root root"
expect_mode /etc/systemd/system/haagent.service "644 root root"
grep -q '^data-dir: /var/lib/ha/hadcs$' "$R/etc/ha/hadcs.yml" || fail "--root leaked into the config's paths"
"$HAAGENT" --validate-config "$R/etc/ha/haagent.yml" >/dev/null || fail "haagent rejects the installed config"
out=$("$REPO/deploy/install.sh" "${args[@]}" 2>&1) || fail "a second install.sh failed: $out"
grep -q 'everything is already installed and up to date' <<<"$out" || fail "a second install.sh changed something: $out"
out=$("$REPO/deploy/install.sh" "${args[@]}" --dry-run 2>&1) || fail "install.sh --dry-run failed: $out"
grep -q 'nothing to change' <<<"$out" || fail "install.sh --dry-run after an install wants changes: $out"
echo "ok: install.sh --root: owners and modes, a second run and --dry-run change nothing"
"$REPO/deploy/install.sh" --root "$R" --uninstall >/dev/null || fail "install.sh --uninstall failed"
[[ ! -e $R/usr/local/bin/haagent && ! -e $R/etc/systemd/system/haagent.service ]] || fail "--uninstall left programs or units"
[[ -f $R/etc/ha/haagent.yml && -d $R/var/lib/ha/hadcs ]] || fail "--uninstall removed configs or data"
echo "ok: install.sh --uninstall removes programs and units, keeps /etc/ha and /var/lib/ha"
echo PASS
