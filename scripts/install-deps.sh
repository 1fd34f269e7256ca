#!/usr/bin/env bash
# Installs every Debian package corridor's build, tests, demo and benchmarks need; with the argument
# `fuzz`, also clang and its libFuzzer runtime for `make fuzz` (which `make test` does without).
# Idempotent, and fast when everything is already there: it asks dpkg first and only calls apt when
# something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev
  librdkafka-dev libyaml-cpp-dev libsqlite3-dev libssl-dev
  libpq-dev postgresql-15  # the PostgreSQL store; the tests start servers of their own (tests/support/postgres.hpp)
  libgtest-dev libgmock-dev
  kcat
  python3 python3-jsonschema python3-yaml  # the contract checks of docs/asyncapi.yaml and docs/openapi.yaml
  chromium  # headless, for the console's test (tests/integration/console_test.cpp)
)
case "${1:-}" in
  "") ;;
  fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;  # libclang-rt-14-dev: libclang_rt.fuzzer-x86_64.a
  *) echo "usage: $0 [fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
