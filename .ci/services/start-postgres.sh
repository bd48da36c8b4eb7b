#!/usr/bin/env bash
# Start a local PostgreSQL for a shared Transfer Atlas store (and for the tests), idempotently.
#
#   .ci/services/start-postgres.sh            # installs Debian's postgresql if missing, starts it,
#                                             # creates role + database, prints the ATLAS_STORE URL
# Settings (environment): ATLAS_PG_USER (atlas), ATLAS_PG_PASSWORD (atlas), ATLAS_PG_DB (atlas),
# ATLAS_PG_PORT (5432). The role may create databases and roles: each test makes a throw-away database
# (and, for the password test, a role).
# Needs root (apt-get, and starting the server as the postgres user); on a managed server, skip this
# script and set ATLAS_STORE=postgresql://USER:PASSWORD@HOST/DB instead.
set -euo pipefail

user=${ATLAS_PG_USER:-atlas}
password=${ATLAS_PG_PASSWORD:-atlas}
db=${ATLAS_PG_DB:-atlas}
port=${ATLAS_PG_PORT:-5432}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
read -r version cluster < <(pg_lsclusters --no-header | awk 'NR == 1 {print $1, $2}')
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  cluster=main
  pg_createcluster "$version" "$cluster" --port "$port" >/dev/null
fi
# The server refuses to run as root: pg_ctlcluster starts it as the postgres user.
pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1 || pg_ctlcluster "$version" "$cluster" start

psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 50); do psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]; then
  psql_admin -c "CREATE ROLE \"$user\" LOGIN CREATEDB CREATEROLE PASSWORD '$password'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE \"$db\" OWNER \"$user\""
fi
echo "postgresql://$user:$password@127.0.0.1:$port/$db"
