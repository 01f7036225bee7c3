package vaultapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretdata"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// vaultData is what one reconcile got from Vault.
type vaultData struct {
	// fetched are the values of each distinct path (kept or read); data is
	// the Secret's data built from them (secretdata.Build).
	fetched secretdata.Fetched
	data    map[string][]byte
	// record says which dynamic secrets the values came from (stored on the Secret).
	record lease.Record
	// leases and retiring are the status entries of record.
	leases   []appv1alpha1.LeaseStatus
	retiring []appv1alpha1.RetiringLease
	// fresh are leases issued by this reconcile: revoked again if their
	// values cannot be stored.
	fresh []string
	// rotated says which paths got new credentials, and why.
	rotated map[string]string
	// next is when a lease or certificate needs attention.
	next time.Time
	// client issued the leases; id is its identity.
	client VaultClient
	id     vault.Identity
	// maxAge is how old a shared static read may be (the refresh
	// interval); refreshNow asks for fresh reads (a refresh request).
	maxAge     time.Duration
	refreshNow bool
}

// reconcileVaultData logs in with the VaultApp's role and gets every
// distinct path once (two reads of a dynamic path would issue two different
// credentials). Static paths are read each time; a dynamic secret recorded
// on the Secret is kept, renewed when due, and replaced only when it
// cannot be renewed, is gone, or its request changed. A Vault failure
// keeps what exists and retries later; a policy refusal waits for a change
// of the spec.
//
// Conditions: VaultAuthenticated, and SecretsSynced when it fails.
func (r *Reconciler) reconcileVaultData(ctx context.Context, p *pass) (ctrl.Result, error) {
	prev, err := r.currentSecret(ctx, p.app)
	if err != nil {
		return ctrl.Result{}, err
	}
	p.prev = prev
	if err := r.checkPolicy(ctx, p.app); err != nil {
		metrics.VaultAppSyncs.WithLabelValues(p.app.Namespace, p.app.Name, "error").Inc()
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	p.vd, p.vaultErr = r.vaultData(ctx, p.app, prev)
	if p.vaultErr != nil {
		metrics.VaultAppSyncs.WithLabelValues(p.app.Namespace, p.app.Name, "error").Inc()
		p.vd, p.version = nil, p.app.Status.SecretVersion
		if errors.As(p.vaultErr, new(specError)) {
			return ctrl.Result{}, reconcile.TerminalError(p.vaultErr)
		}
		return ctrl.Result{RequeueAfter: retryAfterVaultError(p.vaultErr)}, nil
	}
	mark(p.app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("logged in with role %s", p.app.Spec.Vault.Role))
	return ctrl.Result{}, nil
}

// vaultData gets every distinct path once and retires leases no longer used.
func (r *Reconciler) vaultData(ctx context.Context, app *appv1alpha1.VaultApp, prev *corev1.Secret) (*vaultData, error) {
	id := r.Identities.ForVaultApp(app)
	prevRec := r.readRecord(ctx, app, prev)
	_, refreshNow := app.PendingRefreshRequest()
	vd := &vaultData{fetched: secretdata.Fetched{}, client: r.Vault(id), id: id, maxAge: r.refreshInterval(app), refreshNow: refreshNow, rotated: map[string]string{},
		record: lease.Record{Current: map[string]lease.Issued{}, Retiring: slices.Clone(prevRec.Retiring)}}
	for _, path := range distinctPaths(app) {
		if err := r.pathData(ctx, app, path, prev, prevRec, vd); err != nil {
			r.revokeFresh(ctx, vd)
			return nil, err
		}
	}
	data, err := secretdata.Build(app.Spec.Vault.Secrets, app.Spec.Secret, vd.fetched)
	if err != nil {
		r.revokeFresh(ctx, vd)
		return nil, r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, secretdata.ReasonFor(err), err)
	}
	vd.data = data
	for path, is := range prevRec.Current {
		if _, ok := vd.record.Current[path]; !ok && is.LeaseID != "" { // path removed from the spec
			vd.retire(is.LeaseID, nil)
		}
	}
	r.retireUnrecorded(app, prevRec, vd)
	return vd, nil
}

// pathData adds the values of one path to vd: kept from the Secret for a
// live dynamic secret, otherwise read or issued.
func (r *Reconciler) pathData(ctx context.Context, app *appv1alpha1.VaultApp, path string, prev *corev1.Secret, prevRec lease.Record, vd *vaultData) error {
	issue := issueFor(app, path)
	if is, ok := prevRec.Current[path]; ok {
		kept, err := r.keepRecorded(ctx, app, path, is, issue, prev, vd)
		if kept || err != nil {
			return err
		}
	}
	sec, err := r.fetch(ctx, vd, path, issue)
	if err != nil {
		return r.vaultReadFailed(ctx, app, path, err)
	}
	if is, ok := lease.NewIssued(sec, issue); ok {
		if is.LeaseID != "" {
			vd.fresh = append(vd.fresh, is.LeaseID)
			r.leases.MarkVerified(is.LeaseID, vd.client.Generation())
		}
		if app.Spec.Secret != nil && app.Spec.Secret.ExcludeRaw {
			// Not retried until the spec changes: each retry would issue
			// (and revoke) another credential.
			return specError{r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonInvalidSpec, fmt.Errorf(
				"%s is a dynamic secret (Vault issued it with a lease or certificate) and spec.secret.excludeRaw is set: the operator keeps a dynamic secret's values in the Secret to renew it without issuing new credentials; unset excludeRaw", path))}
		}
		vd.record.Current[path] = is
		st := r.keeper().Status(path, is, sec.Renewable)
		vd.leases = append(vd.leases, st)
		vd.wake(st.RenewTime.Time)
	}
	vd.fetched[path] = sec.Data
	return nil
}

// keepRecorded keeps the values of a recorded dynamic secret when it is
// still good (renewing it when due), or schedules it for replacement.
func (r *Reconciler) keepRecorded(ctx context.Context, app *appv1alpha1.VaultApp, path string, is lease.Issued, issue *appv1alpha1.IssueSpec,
	prev *corev1.Secret, vd *vaultData) (bool, error) {
	st := statusOf(app, path, is)
	values, complete := keptValues(app, path, is, prev)
	reason := ""
	switch {
	case is.Request != lease.RequestHash(issue):
		reason = lease.ReissueSpecChanged
	case !complete:
		reason = lease.ReissueMissingValues
	default:
		var err error
		if reason, err = r.keeper().KeepOrReplace(ctx, vd.client, is, &st); err != nil {
			return false, r.leaseFailed(ctx, app, path, err)
		}
	}
	if reason == "" {
		vd.fetched[path] = values
		vd.record.Current[path] = is
		vd.leases = append(vd.leases, st)
		vd.wake(st.RenewTime.Time)
		return true, nil
	}
	vd.rotated[path] = reason
	if reason == lease.ReissueLost {
		r.leases.Forget(is.LeaseID)
	} else if is.LeaseID != "" {
		vd.retire(is.LeaseID, &st.ExpireTime)
	}
	return false, nil
}

// fetch reads path, or issues it when the spec says so, counting
// replacements.
func (r *Reconciler) fetch(ctx context.Context, vd *vaultData, path string, issue *appv1alpha1.IssueSpec) (*vault.SecretData, error) {
	var (
		sec *vault.SecretData
		err error
	)
	if issue != nil {
		sec, err = vd.client.IssueSecret(ctx, path, lease.IssueParams(issue))
	} else {
		sec, err = r.reads.read(ctx, vd.client, vd.id, path, vd.maxAge, vd.refreshNow)
	}
	if reason, ok := vd.rotated[path]; ok {
		metrics.LeaseReissues.WithLabelValues(reason, resultOf(err)).Inc()
	}
	return sec, err
}

// retireUnrecorded retires leases the status lists for a path the Secret's
// record knows nothing of (the record was edited away, or the Secret
// deleted): they were issued for this app and nobody else will revoke them.
// A path the record does know is left alone: a status that lags behind the
// record (a cache not yet updated) must not retire a lease twice.
func (r *Reconciler) retireUnrecorded(app *appv1alpha1.VaultApp, prevRec lease.Record, vd *vaultData) {
	known := map[string]bool{}
	for _, id := range prevRec.IDs() {
		known[id] = true
	}
	for _, is := range vd.record.Current {
		known[is.LeaseID] = true
	}
	for _, st := range app.Status.Leases {
		if _, recorded := prevRec.Current[st.Path]; !recorded && lease.BelongsTo(st.LeaseID, st.Path) && !known[st.LeaseID] {
			known[st.LeaseID] = true
			vd.retire(st.LeaseID, &st.ExpireTime)
		}
	}
}

// readRecord is the lease record on the app's Secret. A record that does
// not verify (edited, or copied from another app's Secret) is reported and
// read as empty: its credentials are issued anew, and the leases the
// status names (written by the operator only) are retired as usual.
func (r *Reconciler) readRecord(ctx context.Context, app *appv1alpha1.VaultApp, prev *corev1.Secret) lease.Record {
	rec, trusted := lease.ReadRecord(prev, r.Key, string(app.UID))
	if !trusted {
		r.Events.Warning(ctx, app, appv1alpha1.ReasonRecordNotTrusted, fmt.Errorf(
			"the %s annotation of secret %s was not written by this operator for this VaultApp: it is ignored, nothing it names is revoked, and the credentials are issued anew",
			lease.Annotation, prev.Name))
	}
	return rec
}

// retire schedules a replaced lease for revocation.
func (vd *vaultData) retire(id string, expire *metav1.Time) {
	vd.record.Retiring = append(vd.record.Retiring, id)
	vd.retiring = append(vd.retiring, appv1alpha1.RetiringLease{LeaseID: id, ExpireTime: expire})
}

// wake records that something is due at t.
func (vd *vaultData) wake(t time.Time) {
	if !t.IsZero() && (vd.next.IsZero() || t.Before(vd.next)) {
		vd.next = t
	}
}

// holdsLeases reports whether the Secret about to be written carries leases.
func (vd *vaultData) holdsLeases() bool { return !vd.record.Empty() }

// revokeFresh revokes the leases a failed reconcile issued: their values
// were never stored, so nobody can use them.
func (r *Reconciler) revokeFresh(ctx context.Context, vd *vaultData) {
	for _, id := range vd.fresh {
		err := vd.client.RevokeLease(ctx, id)
		metrics.LeaseRevocations.WithLabelValues(resultOf(err)).Inc()
		r.leases.Forget(id)
	}
	vd.fresh = nil
}

// retryAfterVaultError: Vault outages are retried soon; what only a change
// in Vault fixes (missing path, denied policy) is retried a minute later,
// as Vault sends no events.
func retryAfterVaultError(err error) time.Duration {
	switch vault.CategoryOf(err) {
	case vault.CategoryConnection, vault.CategoryUnavailable:
		return kube.Jitter(15 * time.Second)
	}
	return kube.Jitter(time.Minute)
}

// specError is a failure only a change of the spec fixes: not retried.
type specError struct{ error }

func (e specError) Unwrap() error { return e.error }
