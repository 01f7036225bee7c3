#!/usr/bin/env bash
# Configures Vault for vault-sync-operator: Kubernetes auth, the operator's
# policy and role for push sync, and a VaultApp role with a read-only
# policy. VAULT-SETUP-GUIDE.md explains each step; the tests run this very
# script against a real Vault, so it stays correct.
#
# Needs the vault CLI with VAULT_ADDR and a VAULT_TOKEN allowed to configure
# auth methods and policies, and:
#   K8S_HOST          the API server URL as Vault reaches it
#   K8S_CA_FILE       the API server's CA certificate (PEM file)
#   REVIEWER_JWT      a token of a ServiceAccount bound to system:auth-delegator
# Optional:
#   OPERATOR_NAMESPACE (vault-sync-system)  OPERATOR_SA (vault-sync-operator)
#   KV_MOUNT (secret)  APP_KV_MOUNT (kv)  CLUSTER_NAME (empty)
set -euo pipefail
: "${K8S_HOST:?}" "${K8S_CA_FILE:?}" "${REVIEWER_JWT:?}"
OPERATOR_NAMESPACE="${OPERATOR_NAMESPACE:-vault-sync-system}"
OPERATOR_SA="${OPERATOR_SA:-vault-sync-operator}"
KV_MOUNT="${KV_MOUNT:-secret}"
APP_KV_MOUNT="${APP_KV_MOUNT:-kv}"

# 1. KV v2 engines: one the operator pushes into, one VaultApps read from.
for m in "$KV_MOUNT" "$APP_KV_MOUNT"; do
  vault secrets list -format=json | jq -e --arg m "$m/" 'has($m)' >/dev/null || vault secrets enable -path="$m" kv-v2
done

# 2. Kubernetes auth, validating service-account tokens through the TokenReview API.
vault auth list -format=json | jq -e 'has("kubernetes/")' >/dev/null || vault auth enable kubernetes
vault write auth/kubernetes/config \
  kubernetes_host="$K8S_HOST" \
  kubernetes_ca_cert=@"$K8S_CA_FILE" \
  token_reviewer_jwt="$REVIEWER_JWT" \
  disable_local_ca_jwt=true

# 3. Push sync: the operator writes, reads (drift check) and deletes under its
#    paths. With --cluster-name, narrow data/* and metadata/* to data/clusters/<name>/*.
prefix=""
if [[ -n "${CLUSTER_NAME:-}" ]]; then prefix="clusters/${CLUSTER_NAME}/"; fi
vault policy write vault-sync-operator - <<POLICY
path "${KV_MOUNT}/data/${prefix}*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "${KV_MOUNT}/metadata/${prefix}*" {
  capabilities = ["create", "update", "read", "delete"]
}
# lets the operator find a path's mount and KV version
path "sys/internal/ui/mounts/*" {
  capabilities = ["read"]
}
POLICY
vault write auth/kubernetes/role/vault-sync-operator \
  bound_service_account_names="$OPERATOR_SA" \
  bound_service_account_namespaces="$OPERATOR_NAMESPACE" \
  token_policies=vault-sync-operator \
  token_ttl=1h token_max_ttl=24h

# 4. A VaultApp role: read-only on the application's secrets. The operator
#    logs in to it with its own service account.
vault policy write billing-app - <<POLICY
path "${APP_KV_MOUNT}/data/billing/*" {
  capabilities = ["read"]
}
path "sys/internal/ui/mounts/*" {
  capabilities = ["read"]
}
POLICY
vault write auth/kubernetes/role/billing-app \
  bound_service_account_names="$OPERATOR_SA" \
  bound_service_account_namespaces="$OPERATOR_NAMESPACE" \
  token_policies=billing-app \
  token_ttl=1h token_max_ttl=24h

# 5. The secrets the reference VaultApp (config/samples) reads.
vault kv put "${APP_KV_MOUNT}/billing/database" url="postgres://billing@db.internal:5432/billing"
vault kv put "${APP_KV_MOUNT}/billing/provider-x" key="px-live-key"
