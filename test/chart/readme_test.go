package chart

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the values table of charts/vault-sync-operator/README.md")

const (
	tableBegin = "<!-- values-table:begin (generated from values.yaml by `go test ./test/chart -run TestReadmeValuesTable -update`) -->"
	tableEnd   = "<!-- values-table:end -->"
)

// TestReadmeValuesTable: the chart's README documents every value with the
// description of its `# --` comment in values.yaml, its type and its
// default; every value has such a comment. Run with -update after changing
// values.yaml.
func TestReadmeValuesTable(t *testing.T) {
	values, err := os.ReadFile(filepath.Join(root, chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := valuesTable(values)
	if err != nil {
		t.Fatal(err)
	}
	readmePath := filepath.Join(root, chartDir, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i, j := strings.Index(text, tableBegin), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", readmePath, tableBegin, tableEnd)
	}
	current := text[i+len(tableBegin) : j]
	if current == table {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(text[:i+len(tableBegin)]+table+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the values table of %s is stale: run go test ./test/chart -run TestReadmeValuesTable -update", readmePath)
}

var keyLine = regexp.MustCompile(`^(\s*)([A-Za-z_][A-Za-z0-9_]*):`)

// valuesTable renders the markdown table of values.yaml: a row per value
// documented by a `# --` comment (continued by the `#` lines below it). A
// documented map is one row (its keys are examples, e.g. resources);
// every key outside documented maps must be documented itself or hold
// documented keys.
func valuesTable(values []byte) (string, error) {
	var parsed map[string]any
	if err := yaml.Unmarshal(values, &parsed); err != nil {
		return "", err
	}
	var rows, undocumented []string
	var path, comment []string
	opaque := "" // a documented map: its keys are not rows
	for _, line := range strings.Split(string(values), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "# --"):
			comment = []string{strings.TrimSpace(strings.TrimPrefix(trimmed, "# --"))}
			continue
		case strings.HasPrefix(trimmed, "#") && comment != nil:
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
			continue
		}
		m := keyLine.FindStringSubmatch(line)
		if m == nil {
			comment = nil
			continue
		}
		depth := len(m[1]) / 2
		path = append(path[:min(depth, len(path))], m[2])
		key := strings.Join(path, ".")
		desc := strings.Join(comment, " ")
		comment = nil
		if opaque != "" && strings.HasPrefix(key, opaque+".") {
			continue
		}
		value := lookup(parsed, path)
		_, isMap := value.(map[string]any)
		if desc == "" {
			if !isMap {
				undocumented = append(undocumented, key)
			}
			continue
		}
		if isMap {
			opaque = key
		}
		rows = append(rows, row(key, value, desc))
	}
	if len(undocumented) > 0 {
		sort.Strings(undocumented)
		return "", fmt.Errorf("values without a `# --` description in values.yaml: %s", strings.Join(undocumented, ", "))
	}
	return "\n| Key | Type | Default | Description |\n|---|---|---|---|\n" + strings.Join(rows, "\n") + "\n", nil
}

func lookup(m map[string]any, path []string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func row(key string, value any, desc string) string {
	typ := "string"
	switch v := value.(type) {
	case bool:
		typ = "bool"
	case float64:
		typ = "number"
		if v == float64(int64(v)) {
			typ = "int"
		}
	case []any:
		typ = "list"
	case map[string]any:
		typ = "object"
	}
	def, _ := json.Marshal(value)
	esc := strings.NewReplacer("|", `\|`)
	return fmt.Sprintf("| `%s` | %s | `%s` | %s |", key, typ, esc.Replace(string(def)), esc.Replace(desc))
}
