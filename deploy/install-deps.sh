#!/usr/bin/env bash
# Installs, with apt, every Debian 12 package that the build, the tests and the demo need.
# Idempotent: when everything is already installed it changes nothing and ends in a second.
# Runs as root, or through sudo otherwise. It does not start, stop or use Debian's default
# PostgreSQL cluster (port 5432) that installing postgresql-15 may create; our tests and demo
# run their own instances on other ports.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # libraries
  libasio-dev            # Asio, standalone
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libpq-dev libfmt-dev libcli11-dev catch2
  libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev
  # what the tests, benchmarks and demo run
  postgresql-15          # server and client (initdb, pg_ctl, pg_basebackup, pg_rewind, psql)
  etcd-server etcd-client  # etcdctl drives hadcs; etcd is the benchmark's yardstick
  iproute2               # network namespaces for the multi-host test
  iptables               # one-way packet loss in the chaos campaigns
  procps util-linux iputils-ping  # ps/pgrep, setpriv/runuser, ping
  curl                   # the demo and the deploy tests read the HTTP health endpoints
)

if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
