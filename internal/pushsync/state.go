package pushsync

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// AnnotationState records, on the Deployment, what the operator wrote to
// Vault: cleanup deletes these locations and nothing else, and Hash avoids
// rewriting unchanged data. Tenants can edit it, so it carries a MAC that
// binds it to the Deployment's UID; a record that does not verify is never
// trusted (see Record).
const AnnotationState = "vault-sync.io/state"

// Finalizer keeps a Deployment until its Vault data is cleaned up.
const Finalizer = "vault-sync.io/cleanup"

// State is the content of AnnotationState.
type State struct {
	// Hash is a keyed digest of what was written where (Digest).
	Hash      string           `json:"hash"`
	Locations []vault.Location `json:"locations"`
	// Versions are, by location (Location.String), the locations the
	// operator is known to have written: on KV v2 with the version of its
	// last write (or of the one about to happen: the record goes first),
	// on KV v1 with 0. A location only listed in Locations is claimed: the
	// operator may have written it, Vault's metadata says whether.
	Versions map[string]int `json:"versions,omitempty"`
	// Sums are, for the KV v1 locations written, a keyed digest of the data
	// written there (DataSum): KV v1 has no metadata, so after a restart,
	// or for a record this process did not write, the data Vault holds
	// proves the write only if it still matches.
	Sums map[string]string `json:"sums,omitempty"`
	// Pending are, for the KV v1 locations a sync is about to write, the
	// keyed digest of that data, recorded with the intent: should the
	// write land but the record of it not (the process dies, or the patch
	// recording it fails), the data Vault holds still proves it.
	Pending map[string]string `json:"pending,omitempty"`
	// MAC authenticates the rest for one Deployment.
	MAC string `json:"mac,omitempty"`
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

// Seal returns s with its MAC for the Deployment with uid.
func (s State) Seal(key mac.Key, uid string) State {
	s.MAC = key.Sum(s.macInput(uid)...)
	return s
}

// Verify reports whether s was sealed by this operator for uid.
func (s State) Verify(key mac.Key, uid string) bool {
	return s.MAC != "" && key.Verify(s.MAC, s.macInput(uid)...)
}

func (s State) macInput(uid string) [][]byte {
	locs, _ := json.Marshal(s.Locations)
	in := [][]byte{[]byte("push-record/v3"), []byte(uid), []byte(s.Hash), locs, canonical(s.Versions), canonical(s.Sums)}
	if len(s.Pending) > 0 {
		// Only then: records sealed before Pending existed still verify
		// (the parts are length-framed, so this is no ambiguity).
		in = append(in, canonical(s.Pending))
	}
	return in
}

// Proofs are the keyed digests (DataSum) that prove a write at the KV v1
// location loc: the data written there, and the data about to be written.
func (s State) Proofs(loc vault.Location) []string {
	var out []string
	for _, sums := range []map[string]string{s.Sums, s.Pending} {
		if sum, ok := sums[loc.String()]; ok && sum != "" {
			out = append(out, sum)
		}
	}
	return out
}

// canonical encodes a map with sorted keys; nil and empty are one thing
// once encoded (omitempty).
func canonical[V any](m map[string]V) []byte {
	if len(m) == 0 {
		return []byte("{}")
	}
	b, _ := json.Marshal(m)
	return b
}

// Expect is what the record says of loc, for the Vault client: listed
// (claimed), written before (a version is recorded: KV v2's, 0 on KV v1),
// and the KV v2 version of the last write.
func (s State) Expect(loc vault.Location) vault.Expect {
	v, written := s.Versions[loc.String()]
	return vault.Expect{Claimed: slices.Contains(s.Locations, loc), Written: written, Version: v}
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

// Record is what a Deployment's annotation says, split by trust: Trusted
// verified against the operator's key, Unverified anything else (edited,
// copied from another object, or written by a version before records were
// sealed). Unverified locations are never re-recorded, never count as
// already written, and are only ever deleted where Vault itself proves
// ownership (KV v2 custom metadata naming this Deployment).
type Record struct {
	Trusted    State
	Unverified []vault.Location
}

// ReadRecord reads and verifies the record of the Deployment with uid.
// present tells whether there was a record at all.
func ReadRecord(annotations map[string]string, key mac.Key, uid string) (rec Record, present bool, err error) {
	s, err := ReadState(annotations)
	if err != nil {
		return Record{}, true, err
	}
	if s.Verify(key, uid) {
		return Record{Trusted: s}, true, nil
	}
	_, present = annotations[AnnotationState]
	return Record{Unverified: s.Locations}, present, nil
}
