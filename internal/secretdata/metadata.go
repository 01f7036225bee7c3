package secretdata

import (
	"strings"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// operatorDomains are the label and annotation prefixes that belong to the
// operator. The CRD refuses user keys in them; MergeLabels and
// MergeAnnotations drop any that an older CRD admitted.
var operatorDomains = []string{"app.techweaver.io/", "vaultapp.techweaver.io/"}

// MergeLabels is the managed Secret's labels: the user's
// (spec.secret.labels), then the operator's own, which win.
func MergeLabels(user map[string]appv1alpha1.LabelValue, own map[string]string) map[string]string {
	return merge(user, own)
}

// MergeAnnotations is the managed Secret's annotations: the user's
// (spec.secret.annotations), then the operator's own, which win.
func MergeAnnotations(user, own map[string]string) map[string]string {
	return merge(user, own)
}

func merge[V ~string](user map[string]V, own map[string]string) map[string]string {
	out := make(map[string]string, len(user)+len(own))
	for k, v := range user {
		if !operatorKey(k) {
			out[k] = string(v)
		}
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

func operatorKey(k string) bool {
	for _, d := range operatorDomains {
		if strings.HasPrefix(k, d) {
			return true
		}
	}
	return false
}
