#!/usr/bin/env bash
# Vault's PKI engine for VaultApps (docs/dynamic-secrets.md): a root CA and
# a role "web" issuing certificates for *.example.com. In production the
# issuing CA is usually an intermediate signed by your root. test/dynamic
# and the local sandbox run this very script.
#
# Needs the vault CLI and jq, VAULT_ADDR and an admin VAULT_TOKEN.
# Optional: PKI_MAX_TTL (720h)  DOMAIN (example.com)
set -euo pipefail
PKI_MAX_TTL="${PKI_MAX_TTL:-720h}"
DOMAIN="${DOMAIN:-example.com}"

if ! vault secrets list -format=json | jq -e 'has("pki/")' >/dev/null; then
  vault secrets enable pki
  vault secrets tune -max-lease-ttl=87600h pki
  vault write -field=certificate pki/root/generate/internal common_name="vault-sync example root CA" ttl=87600h >/dev/null
fi
vault write pki/roles/web \
  allowed_domains="$DOMAIN" allow_subdomains=true \
  max_ttl="$PKI_MAX_TTL" not_before_duration=1s
