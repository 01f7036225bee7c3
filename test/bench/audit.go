package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// auditDevice is the name of the benchmark's audit device in Vault.
const auditDevice = "bench"

// vaultAudit is a file audit device of the rig's Vault, on for a window:
// Vault's own record of every request, so reads can be counted per path
// (the operator's metrics count them only in total). Vault writes only
// HMACs of secret values into it.
type vaultAudit struct {
	env  *e2e.Env
	path string
}

func startAudit(ctx context.Context, env *e2e.Env) (*vaultAudit, error) {
	a := &vaultAudit{env: env, path: filepath.Join(env.Dir, "bench-audit.log")}
	err := env.Vault.Root.Sys().EnableAuditWithOptionsWithContext(ctx, auditDevice, &vaultapi.EnableAuditOptions{
		Type: "file", Options: map[string]string{"file_path": a.path}})
	if err != nil {
		return nil, fmt.Errorf("enable the audit device: %w", err)
	}
	return a, nil
}

// stop turns the device off and counts the read requests under each path
// prefix; the log is removed.
func (a *vaultAudit) stop(ctx context.Context, prefixes []string) (map[string]int, error) {
	if err := a.env.Vault.Root.Sys().DisableAuditWithContext(ctx, auditDevice); err != nil {
		return nil, fmt.Errorf("disable the audit device: %w", err)
	}
	defer os.Remove(a.path)
	return countReads(a.path, prefixes)
}

// auditEntry is the part of an audit log line the count needs.
type auditEntry struct {
	Type    string `json:"type"`
	Request struct {
		Operation string `json:"operation"`
		Path      string `json:"path"`
	} `json:"request"`
}

// countReads counts the read requests (not their responses) of an audit
// log by path prefix.
func countReads(path string, prefixes []string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e auditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		if e.Type != "request" || e.Request.Operation != "read" {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(e.Request.Path, p) {
				counts[p]++
			}
		}
	}
	return counts, sc.Err()
}
