package e2e

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// AppCondition is the condition of type t (appv1alpha1.Condition*) of
// VaultApp ns/name; nil when the app or the condition does not exist.
func (e *Env) AppCondition(ns, name, t string) *metav1.Condition {
	app := Get(e.Client, ns, name, &appv1alpha1.VaultApp{})
	if app == nil {
		return nil
	}
	return meta.FindStatusCondition(app.Status.Conditions, t)
}

// Condition returns a poller of AppCondition as "Status/Reason" ("" when
// absent), e.g. "True/Succeeded": poll it with Eventually, or call it.
func (e *Env) Condition(ns, name, t string) func() string {
	return func() string {
		if c := e.AppCondition(ns, name, t); c != nil {
			return string(c.Status) + "/" + c.Reason
		}
		return ""
	}
}

// ConditionWithMessage is Condition as "Status/Reason: Message", for
// checks of the reason and the message read at the same time.
func (e *Env) ConditionWithMessage(ns, name, t string) func() string {
	return func() string {
		if c := e.AppCondition(ns, name, t); c != nil {
			return string(c.Status) + "/" + c.Reason + ": " + c.Message
		}
		return ""
	}
}

// ConditionMessage is the message of AppCondition ("" when absent).
func (e *Env) ConditionMessage(ns, name, t string) string {
	if c := e.AppCondition(ns, name, t); c != nil {
		return c.Message
	}
	return ""
}

// AppStatus is the status of VaultApp ns/name (empty when it does not exist).
func (e *Env) AppStatus(ns, name string) appv1alpha1.VaultAppStatus {
	if app := Get(e.Client, ns, name, &appv1alpha1.VaultApp{}); app != nil {
		return app.Status
	}
	return appv1alpha1.VaultAppStatus{}
}

// LeaseID is the lease of the VaultApp's first dynamic secret ("" when it
// holds none).
func (e *Env) LeaseID(ns, name string) string {
	if l := e.AppStatus(ns, name).Leases; len(l) > 0 {
		return l[0].LeaseID
	}
	return ""
}

// AppSecretData is the data of the Secret the operator writes for
// VaultApp ns/name (nil when it does not exist).
func (e *Env) AppSecretData(ns, name string) map[string][]byte {
	if s := Get(e.Client, ns, appv1alpha1.SecretNameFor(name), &corev1.Secret{}); s != nil {
		return s.Data
	}
	return nil
}
