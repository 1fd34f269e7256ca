#!/bin/sh
# Writes the secrets docker-compose.yml and kustomization.yaml read, with fresh random values, beside
# this script (or in the folder given). Never overwrites a file: rotate by hand.
set -eu
dir=${1:-$(dirname "$0")}
write() {
  if [ -e "$dir/$1" ]; then echo "generate.sh: $dir/$1 exists, left as it is" >&2; return 0; fi
  (umask 077 && printf '%s' "$2" > "$dir/$1")
}
password=$(openssl rand -hex 24)
write database.env "POSTGRES_PASSWORD=$password
PGPASSWORD=$password
"
write corridor.env "CORRIDOR_CARD_KEY=$(openssl rand -hex 32)
"
write operator.env "CORRIDOR_OPERATOR_TOKEN=$(openssl rand -hex 24)
"
