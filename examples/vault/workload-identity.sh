#!/usr/bin/env bash
# Workload-identity mode (--vault-identity=workload): one Vault role and
# policy per team namespace, bound to the team's own service account. The
# operator logs in as that service account, so Vault itself keeps each team
# to its own paths. VAULT-SETUP-GUIDE.md explains it; test/workload runs this
# very script against a real Vault.
#
# Needs the vault CLI with VAULT_ADDR and an admin VAULT_TOKEN, Kubernetes
# auth configured (setup.sh step 2), and:
#   TEAM_NAMESPACE     the team's namespace (also the role's name:
#                      --workload-push-role defaults to {{namespace}})
# Optional:
#   TEAM_SA (app)  KV_MOUNT (secret)  APP_KV_MOUNT (kv)  AUDIENCE (vault)
set -euo pipefail
: "${TEAM_NAMESPACE:?}"
TEAM_SA="${TEAM_SA:-app}"
KV_MOUNT="${KV_MOUNT:-secret}"
APP_KV_MOUNT="${APP_KV_MOUNT:-kv}"
AUDIENCE="${AUDIENCE:-vault}"

# The team's paths only: push writes under <mount>/data/<namespace>/, VaultApps
# read <app mount>/data/<namespace>/.
vault policy write "$TEAM_NAMESPACE" - <<POLICY
path "${KV_MOUNT}/data/${TEAM_NAMESPACE}/*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "${KV_MOUNT}/metadata/${TEAM_NAMESPACE}/*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "${APP_KV_MOUNT}/data/${TEAM_NAMESPACE}/*" {
  capabilities = ["read"]
}
path "sys/internal/ui/mounts/*" {
  capabilities = ["read"]
}
POLICY

# Bound to the team's service account in the team's namespace only, with
# the audience the operator requests its tokens for. A periodic token is
# renewed indefinitely (leases of dynamic secrets live as long as it).
vault write "auth/kubernetes/role/${TEAM_NAMESPACE}" \
  bound_service_account_names="$TEAM_SA" \
  bound_service_account_namespaces="$TEAM_NAMESPACE" \
  audience="$AUDIENCE" \
  token_policies="$TEAM_NAMESPACE" \
  token_period=1h
