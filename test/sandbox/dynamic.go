package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// setupPKI mounts the PKI engine and the role and policy of
// examples/dynamic/web-tls.yaml.
func setupPKI(ctx context.Context, env *e2e.Env) error {
	if err := env.EnablePKI(ctx, 24*time.Hour*60); err != nil {
		return err
	}
	hcl, err := env.ReadRepoFile("examples/dynamic/vault-policies-pki.hcl")
	if err != nil {
		return err
	}
	if err := env.EnsureNamespace(ctx, "web"); err != nil {
		return err
	}
	return env.WriteOperatorRole(ctx, "web-tls", hcl, "")
}

// reportCertificate shows the certificate the web-tls VaultApp got.
func reportCertificate(ctx context.Context, env *e2e.Env) error {
	var app appv1alpha1.VaultApp
	key := client.ObjectKey{Namespace: "web", Name: "web-tls"}
	if err := waitFor(ctx, func() bool { return env.Client.Get(ctx, key, &app) == nil && len(app.Status.Leases) == 1 }); err != nil {
		return fmt.Errorf("VaultApp web/web-tls got no certificate: %w", err)
	}
	var sec corev1.Secret
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "web", Name: app.Status.SecretName}, &sec); err != nil {
		return err
	}
	blk, _ := pem.Decode(sec.Data["tls.crt"])
	if blk == nil {
		return fmt.Errorf("secret %s has no PEM tls.crt", sec.Name)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return err
	}
	st := app.Status.Leases[0]
	say("dynamic: Secret web/%s holds a certificate for %s (serial %s), valid until %s; the operator re-issues it at %s",
		sec.Name, cert.Subject.CommonName, st.SerialNumber, st.ExpireTime.UTC().Format(time.RFC3339), st.RenewTime.UTC().Format(time.RFC3339))
	return nil
}
