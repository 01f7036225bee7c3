# Policy of the Vault role "shape-apps" that the examples of this directory
# log in with: read the example data, issue certificates from the PKI role
# "web" (tls-from-pki.yaml), and look up a path's mount.
path "kv/data/shape/*" { capabilities = ["read"] }
path "pki/issue/web" { capabilities = ["create", "update"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
