# Policy of the Vault role "web-tls": issue certificates from the PKI role
# "web". Certificates have no lease: nothing to revoke.
path "pki/issue/web" { capabilities = ["create", "update"] }
