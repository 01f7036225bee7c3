# Policy of the Vault role "ci-deployer": issue tokens from the Kubernetes
# secrets engine role "deployer", and revoke its own leases.
path "kubernetes-secrets/creds/deployer" { capabilities = ["update"] }
path "sys/leases/revoke/kubernetes-secrets/creds/deployer/*" { capabilities = ["update"] }
