#!/usr/bin/env bash
# The Vault data the examples of this directory expect (README.md lists it)
# and the policy of their Vault role "shape-apps" (vault-policy.hcl).
# Binding that role to the operator's service account is as in
# VAULT-SETUP-GUIDE.md (auth/kubernetes/role/shape-apps with
# token_policies=shape-apps).
#
# Needs the vault CLI and jq, VAULT_ADDR and an admin VAULT_TOKEN, a KV v2
# engine at kv/, and the PKI engine of examples/dynamic/setup-pki.sh (the
# KV certificate of tls-from-kv.yaml is issued there once).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

vault policy write shape-apps "$here/vault-policy.hcl"

vault kv put -mount=kv shape/orders/database host=db.shape.svc port=5432 \
  username=orders password=orders-db-password admin_password=orders-admin-password
vault kv put -mount=kv shape/orders/feature-flags new_checkout=true
vault kv put -mount=kv shape/orders/api token=orders-api-token token_old=orders-api-token-old
vault kv put -mount=kv shape/billing/database url=postgres://billing@db.shape.svc:5432/billing
vault kv put -mount=kv shape/billing/provider-x key=px-123
vault kv put -mount=kv shape/registry server=registry.example.com username=puller password=pull-password
vault kv put -mount=kv shape/reports smtp_password=smtp-password
vault kv put -mount=kv shape/rates api_token=rates-api-token

issued="$(vault write -format=json pki/issue/web common_name=web.example.com ttl=720h)"
vault kv put -mount=kv shape/web-tls \
  certificate="$(jq -r .data.certificate <<<"$issued")" \
  private_key="$(jq -r .data.private_key <<<"$issued")"
