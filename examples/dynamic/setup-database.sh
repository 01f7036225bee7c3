#!/usr/bin/env bash
# Vault's database secrets engine for VaultApps (docs/dynamic-secrets.md):
# a PostgreSQL connection and a role whose credentials are real database
# roles with a lease. test/dynamic and the benchmark run this very script.
#
# Needs the vault CLI and jq, VAULT_ADDR and an admin VAULT_TOKEN, and:
#   PG_CONNECTION_URL  e.g. postgresql://{{username}}:{{password}}@db.example.com:5432/postgres
#   PG_USERNAME, PG_PASSWORD  the account Vault creates and drops roles with
# Optional: DB_ROLE (billing)  DEFAULT_TTL (1h)  MAX_TTL (24h)
set -euo pipefail
: "${PG_CONNECTION_URL:?}" "${PG_USERNAME:?}" "${PG_PASSWORD:?}"
DB_ROLE="${DB_ROLE:-billing}"
DEFAULT_TTL="${DEFAULT_TTL:-1h}"
MAX_TTL="${MAX_TTL:-24h}"

vault secrets list -format=json | jq -e 'has("database/")' >/dev/null || vault secrets enable database

vault write database/config/pg \
  plugin_name=postgresql-database-plugin \
  connection_url="$PG_CONNECTION_URL" \
  username="$PG_USERNAME" password="$PG_PASSWORD" \
  allowed_roles="*"

# Each lease is a database role valid until the lease ends; revoking the
# lease drops the role.
statements=$(mktemp)
trap 'rm -f "$statements"' EXIT
cat >"$statements" <<'SQL'
CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
SQL
vault write "database/roles/${DB_ROLE}" \
  db_name=pg \
  creation_statements=@"$statements" \
  default_ttl="$DEFAULT_TTL" max_ttl="$MAX_TTL"
