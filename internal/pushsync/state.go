package pushsync

import (
	"encoding/json"
	"fmt"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// AnnotationState records, on the Deployment, what the operator wrote to
// Vault. It is the operator's only memory: cleanup deletes exactly these
// locations and nothing else, and Hash avoids rewriting unchanged data.
const AnnotationState = "vault-sync.io/state"

// Finalizer keeps a Deployment until its Vault data is cleaned up.
const Finalizer = "vault-sync.io/cleanup"

// State is the content of AnnotationState.
type State struct {
	Hash      string           `json:"hash"`
	Locations []vault.Location `json:"locations"`
}

// ReadState decodes the state annotation; absent means nothing written.
func ReadState(annotations map[string]string) (State, error) {
	raw, ok := annotations[AnnotationState]
	if !ok || raw == "" {
		return State{}, nil
	}
	var s State
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return State{}, fmt.Errorf("the %s annotation is corrupt (%v); it is written by the operator and must not be edited", AnnotationState, err)
	}
	return s, nil
}

// Encode renders the state for the annotation.
func (s State) Encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Stale returns the recorded locations that are not in current: the ones a
// path change or a removed Secret left behind.
func (s State) Stale(current []vault.Location) []vault.Location {
	keep := make(map[vault.Location]bool, len(current))
	for _, l := range current {
		keep[l] = true
	}
	var out []vault.Location
	for _, l := range s.Locations {
		if !keep[l] {
			out = append(out, l)
		}
	}
	return out
}
