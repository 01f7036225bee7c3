# Policy of the Vault role "billing-db": read (issue) credentials, and
# revoke exactly the leases of this engine role (the operator revokes
# replaced and deleted credentials). Renewing and looking up leases is in
# Vault's default policy.
path "database/creds/billing" { capabilities = ["read"] }
path "sys/leases/revoke/database/creds/billing/*" { capabilities = ["update"] }
