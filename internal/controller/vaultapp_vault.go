package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// vaultData is what one reconcile got from Vault.
type vaultData struct {
	// data maps targetKey -> value.
	data map[string][]byte
	// record says which dynamic secrets the values came from (stored on the Secret).
	record leaseRecord
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
	// session issued the leases.
	session VaultSession
}

// reconcileVaultData logs in with the VaultApp's role and gets every
// distinct path once (two reads of a dynamic path would issue two different
// credentials). Static paths are read each time; a dynamic secret recorded
// on the Secret (prev) is kept, renewed when due, and replaced only when it
// cannot be renewed, is gone, or its request changed.
//
// Conditions: VaultAuthenticated, and SecretsSynced when it fails.
func (r *VaultAppReconciler) reconcileVaultData(ctx context.Context, app *appv1alpha1.VaultApp, prev *corev1.Secret) (*vaultData, error) {
	if err := r.checkPolicy(app); err != nil {
		return nil, err
	}
	session := r.Vault(r.identityOf(app))
	prevRec := readLeaseRecord(prev)
	vd := &vaultData{data: map[string][]byte{}, session: session, rotated: map[string]string{},
		record: leaseRecord{Current: map[string]issuedSecret{}, Retiring: slices.Clone(prevRec.Retiring)}}
	for _, path := range distinctPaths(app) {
		if err := r.pathData(ctx, app, path, prev, prevRec, vd); err != nil {
			r.revokeFresh(ctx, vd)
			return nil, err
		}
	}
	for path, is := range prevRec.Current {
		if _, ok := vd.record.Current[path]; !ok && is.LeaseID != "" { // path removed from the spec
			vd.retire(is.LeaseID, nil)
		}
	}
	r.retireUnrecorded(app, prevRec, vd)
	setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("logged in with role %s", app.Spec.Vault.Role))
	return vd, nil
}

// pathData adds the values of one path to vd: kept from the Secret for a
// live dynamic secret, otherwise read or issued.
func (r *VaultAppReconciler) pathData(ctx context.Context, app *appv1alpha1.VaultApp, path string, prev *corev1.Secret, prevRec leaseRecord, vd *vaultData) error {
	refs := refsOf(app, path)
	issue := issueFor(app, path)
	if is, ok := prevRec.Current[path]; ok {
		st := statusOf(app, path, is)
		reason := ""
		switch {
		case is.Request != issueRequestHash(issue):
			reason = reissueSpecChanged
		case !hasValues(prev, refs):
			reason = reissueMissingValues
		default:
			var err error
			if reason, err = r.keepOrReplace(ctx, vd.session, is, &st); err != nil {
				return r.leaseFailed(app, path, err)
			}
		}
		if reason == "" {
			for _, ref := range refs {
				vd.data[ref.TargetKey] = prev.Data[ref.TargetKey]
			}
			vd.record.Current[path] = is
			vd.leases = append(vd.leases, st)
			vd.wake(st.RenewTime.Time)
			return nil
		}
		vd.rotated[path] = reason
		if reason == reissueLost {
			r.leases.forget(is.LeaseID)
		} else if is.LeaseID != "" {
			vd.retire(is.LeaseID, &st.ExpireTime)
		}
	}
	var (
		sec *vault.SecretData
		err error
	)
	if issue != nil {
		sec, err = vd.session.IssueSecret(ctx, path, issueParams(issue))
	} else {
		sec, err = vd.session.ReadSecret(ctx, path)
	}
	if reason, ok := vd.rotated[path]; ok {
		metrics.LeaseReissues.WithLabelValues(reason, resultOf(err)).Inc()
	}
	if err != nil {
		return r.vaultReadFailed(app, path, err)
	}
	if is, ok := newIssued(sec, issue); ok {
		vd.record.Current[path] = is
		st := r.leaseStatus(path, is, sec.Renewable)
		vd.leases = append(vd.leases, st)
		vd.wake(st.RenewTime.Time)
		if is.LeaseID != "" {
			vd.fresh = append(vd.fresh, is.LeaseID)
			r.leases.markVerified(is.LeaseID, vd.session.Generation())
		}
	}
	for _, ref := range refs {
		v, ok := sec.Data[ref.Key]
		if !ok {
			err := fmt.Errorf("key %q not found at vault path %s (keys there: %s)", ref.Key, path, strings.Join(slices.Sorted(maps.Keys(sec.Data)), ", "))
			return r.syncFailed(app, appv1alpha1.ReasonKeyNotFound, err)
		}
		vd.data[ref.TargetKey] = valueBytes(v)
	}
	return nil
}

// retireUnrecorded retires leases the status lists for a path the Secret's
// record knows nothing of (the record was edited away, or the Secret
// deleted): they were issued for this app and nobody else will revoke them.
// A path the record does know is left alone: a status that lags behind the
// record (a cache not yet updated) must not retire a lease twice.
func (r *VaultAppReconciler) retireUnrecorded(app *appv1alpha1.VaultApp, prevRec leaseRecord, vd *vaultData) {
	known := map[string]bool{}
	for _, id := range prevRec.leaseIDs() {
		known[id] = true
	}
	for _, is := range vd.record.Current {
		known[is.LeaseID] = true
	}
	for _, st := range app.Status.Leases {
		if _, recorded := prevRec.Current[st.Path]; !recorded && st.LeaseID != "" && !known[st.LeaseID] {
			known[st.LeaseID] = true
			vd.retire(st.LeaseID, &st.ExpireTime)
		}
	}
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

// statusOf is the status entry of a recorded secret (empty timing after a
// restart lost nothing: keepOrReplace then asks Vault).
func statusOf(app *appv1alpha1.VaultApp, path string, is issuedSecret) appv1alpha1.LeaseStatus {
	for _, st := range app.Status.Leases {
		if st.Path == path && st.LeaseID == is.LeaseID && st.SerialNumber == is.Serial {
			return st
		}
	}
	return appv1alpha1.LeaseStatus{Path: path, LeaseID: is.LeaseID, SerialNumber: is.Serial, IssueTime: second(is.Issued)}
}

// hasValues reports whether the Secret holds a value for every entry.
func hasValues(s *corev1.Secret, refs []appv1alpha1.SecretRef) bool {
	if s == nil {
		return false
	}
	for _, ref := range refs {
		if _, ok := s.Data[ref.TargetKey]; !ok {
			return false
		}
	}
	return true
}

// revokeFresh revokes the leases a failed reconcile issued: their values
// were never stored, so nobody can use them.
func (r *VaultAppReconciler) revokeFresh(ctx context.Context, vd *vaultData) {
	for _, id := range vd.fresh {
		err := vd.session.RevokeLease(ctx, id)
		metrics.LeaseRevocations.WithLabelValues(resultOf(err)).Inc()
		r.leases.forget(id)
	}
	vd.fresh = nil
}

// leaseFailed reports a failed lease look-up or renewal; the current
// credentials stay in place.
func (r *VaultAppReconciler) leaseFailed(app *appv1alpha1.VaultApp, path string, err error) error {
	err = fmt.Errorf("failed to renew the lease of %s: %w; the current credentials are kept", path, err)
	setCondition(app, appv1alpha1.ConditionLeasesHealthy, metav1.ConditionFalse, appv1alpha1.ReasonLeaseRenewalFailed, err.Error())
	r.Recorder.Eventf(app, corev1.EventTypeWarning, appv1alpha1.ReasonLeaseRenewalFailed, "%s", truncate(err.Error(), 1000))
	return err
}

func resultOf(err error) string {
	if err == nil {
		return "success"
	}
	if c := vault.CategoryOf(err); c != "" {
		return string(c)
	}
	return "error"
}

// identityOf is who the operator is in Vault for app.
func (r *VaultAppReconciler) identityOf(app *appv1alpha1.VaultApp) vault.Identity {
	id := vault.Identity{Method: app.Spec.Vault.AuthMethod, AuthPath: app.Spec.Vault.AuthPath, Role: app.Spec.Vault.Role}
	if r.WorkloadIdentity {
		id.Namespace, id.ServiceAccount = app.Namespace, app.Spec.DeploymentSpec.Template.Spec.ServiceAccountName
		if id.ServiceAccount == "" {
			id.ServiceAccount = "default"
		}
	}
	return id
}

// whoLogsIn names the service account Vault sees, for error messages.
func (r *VaultAppReconciler) whoLogsIn(app *appv1alpha1.VaultApp) string {
	if id := r.identityOf(app); id.ServiceAccount != "" {
		return "the app's service account " + id.Namespace + "/" + id.ServiceAccount
	}
	return "the operator's service account"
}

// checkPolicy refuses, before any Vault call, a role or path the operator's
// policy does not allow for the VaultApp's namespace.
func (r *VaultAppReconciler) checkPolicy(app *appv1alpha1.VaultApp) error {
	if err := r.Policy.AllowRole(app.Namespace, r.ClusterName, app.Spec.Vault.Role); err != nil {
		metrics.PolicyDenials.WithLabelValues("role").Inc()
		setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonRoleNotAllowed, err.Error())
		return r.syncFailed(app, appv1alpha1.ReasonRoleNotAllowed, err)
	}
	for _, ref := range app.Spec.Vault.Secrets {
		if err := r.Policy.AllowPath(app.Namespace, r.ClusterName, ref.Path); err != nil {
			metrics.PolicyDenials.WithLabelValues("path").Inc()
			return r.syncFailed(app, appv1alpha1.ReasonPathNotAllowed, err)
		}
	}
	return nil
}

// vaultReadFailed sets the conditions for a failed read and returns err.
func (r *VaultAppReconciler) vaultReadFailed(app *appv1alpha1.VaultApp, path string, err error) error {
	metrics.VaultAppReadErrors.WithLabelValues(string(vault.CategoryOf(err))).Inc()
	role := app.Spec.Vault.Role
	switch vault.CategoryOf(err) {
	case vault.CategoryAuth:
		err = fmt.Errorf("failed to authenticate with vault as role %s: %w (check that the role exists at auth/%s and binds %s)", role, err, r.authPathOf(app), r.whoLogsIn(app))
		setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonAuthFailed, err.Error())
		return r.syncFailed(app, appv1alpha1.ReasonAuthFailed, err)
	case vault.CategoryConnection, vault.CategoryUnavailable:
		return r.syncFailed(app, appv1alpha1.ReasonVaultUnavailable, fmt.Errorf("failed to read %s: %w", path, err))
	}
	setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("logged in with role %s", role))
	switch vault.CategoryOf(err) {
	case vault.CategoryPermissionDenied:
		return r.syncFailed(app, appv1alpha1.ReasonPermissionDenied,
			fmt.Errorf("failed to read %s: %w (the policies of role %s must allow read on it)", path, err, role))
	case vault.CategoryNotFound:
		if strings.Contains(err.Error(), "deleted or destroyed") {
			return r.syncFailed(app, appv1alpha1.ReasonSecretDeleted,
				fmt.Errorf("failed to read %s: %w; the last good Secret is kept", path, err))
		}
		return r.syncFailed(app, appv1alpha1.ReasonPathNotFound, fmt.Errorf("failed to read %s: nothing is stored at this path", path))
	}
	return r.syncFailed(app, appv1alpha1.ReasonPathNotFound, fmt.Errorf("failed to read %s: %w", path, err))
}

// syncFailed records SecretsSynced=False with reason and a warning event
// with the same reason and message.
func (r *VaultAppReconciler) syncFailed(app *appv1alpha1.VaultApp, reason string, err error) error {
	setCondition(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionFalse, reason, err.Error())
	r.Recorder.Eventf(app, corev1.EventTypeWarning, reason, "%s", truncate(err.Error(), 1000))
	return err
}

// valueBytes renders a Vault value as Secret bytes: strings as they are, a
// list of strings one per line (PKI's ca_chain becomes one PEM bundle),
// anything else (numbers, booleans, objects) as JSON.
func valueBytes(v any) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []any:
		lines := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				b, _ := json.Marshal(v)
				return b
			}
			lines = append(lines, strings.TrimRight(s, "\n"))
		}
		return []byte(strings.Join(lines, "\n") + "\n")
	}
	b, _ := json.Marshal(v)
	return b
}

// authPathOf is the auth mount app logs in at, for error messages.
func (r *VaultAppReconciler) authPathOf(app *appv1alpha1.VaultApp) string {
	switch {
	case app.Spec.Vault.AuthPath != "":
		return app.Spec.Vault.AuthPath
	case app.Spec.Vault.AuthMethod != "":
		return app.Spec.Vault.AuthMethod
	}
	return "kubernetes"
}
