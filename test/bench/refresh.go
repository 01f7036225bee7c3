package main

import (
	"context"
	"fmt"
	"time"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// parkedRefresh is the refresh interval VaultApps are created with: no app
// re-reads Vault while later groups' cold starts are measured, so each
// group's requests per app are its own. refreshPhase then sets the run's
// interval on every app before the rotation and idle phases.
const parkedRefresh = time.Hour

// refreshPhase sets -refresh on every VaultApp and waits until each has
// reconciled that spec change.
func (b *bench) refreshPhase(ctx context.Context) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"vault":{"refreshInterval":%q}}}`, b.cfg.refresh))
	w := watchFirst(ctx, b.c, &appv1alpha1.VaultAppList{}, func(app *appv1alpha1.VaultApp) bool {
		ri := app.Spec.Vault.RefreshInterval
		return ri != nil && ri.Duration == b.cfg.refresh && app.Status.ObservedGeneration == app.Generation
	})
	defer w.stop()
	step("setting the refresh interval of every VaultApp to %s", b.cfg.refresh)
	for _, g := range appGroups(b.cfg) {
		err := parallel(g.count, 32, func(i int) error {
			k := g.key(i)
			app := &appv1alpha1.VaultApp{}
			app.Namespace, app.Name = k.Namespace, k.Name
			return b.c.Patch(ctx, app, client.RawPatch(types.MergePatchType, patch))
		})
		if err != nil {
			return err
		}
	}
	inAnyGroup := func(k client.ObjectKey) bool {
		for _, g := range appGroups(b.cfg) {
			if g.owns(k) {
				return true
			}
		}
		return false
	}
	if _, err := w.waitFor(ctx, totalApps(b.cfg), inAnyGroup, 10*time.Minute); err != nil {
		return fmt.Errorf("refresh interval not taken: %w", err)
	}
	time.Sleep(settle)
	return nil
}
