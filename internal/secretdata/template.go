package secretdata

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"text/template"
	"text/template/parse"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// templateData is what a template sees as ".".
type templateData struct {
	// Values are the keys the entries of spec.vault.secrets produced, by
	// Secret key, as strings.
	Values map[string]string
}

// tickFunc is the function meterLoops calls at the start of every loop
// iteration (a name no one would choose).
const tickFunc = "secretdataLoopTick_"

var errPanic = errors.New("the template failed to render (internal error)")

// Render renders every template with .Values = values, in order. It returns
// all outputs or the first error: never part of them. A missing key is an
// error (missingkey=error), not an empty string.
func Render(templates []appv1alpha1.SecretTemplate, values map[string][]byte) (map[string][]byte, error) {
	if len(templates) == 0 {
		return map[string][]byte{}, nil
	}
	data := &templateData{Values: make(map[string]string, len(values))}
	for k, v := range values {
		data.Values[k] = string(v)
	}
	m := newMeter()
	out := make(map[string][]byte, len(templates))
	for i, t := range templates {
		src := templateSource(i, t.Name)
		tmpl, err := parseTemplate(src, t.Name, t.Template, m)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := execute(tmpl, meteredWriter{w: &buf, m: m}, data); err != nil {
			return nil, execError(src, err)
		}
		out[t.Name] = buf.Bytes()
	}
	return out, nil
}

// parseTemplate parses one template and checks its structure: one template
// (define, block and template actions could recurse), and a meter tick at
// the start of every range body.
func parseTemplate(src Source, name, text string, m *meter) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcMap(m)).Parse(text)
	if err != nil {
		return nil, parseError(src, err)
	}
	for _, d := range t.Templates() {
		if d.Name() != name {
			return nil, &TemplateError{Template: src, Detail: "define and block are not supported: write one template per Secret key"}
		}
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return nil, &TemplateError{Template: src, Detail: "the template is empty"}
	}
	if n := meterLoops(t.Tree.Root); n != nil {
		line, col := position(t.Tree, n)
		return nil, &TemplateError{Template: src, Line: line, Column: col, Detail: "the template action is not supported: write one template per Secret key"}
	}
	return t, nil
}

// execute runs t; a panic inside text/template becomes an error.
func execute(t *template.Template, w io.Writer, data any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errPanic
		}
	}()
	return t.Execute(w, data)
}

// meterLoops prepends a tick, charging the body's size, to every range
// body, and returns the first template action (nil when there is none).
func meterLoops(n parse.Node) parse.Node {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return nil
		}
		for _, c := range x.Nodes {
			if bad := meterLoops(c); bad != nil {
				return bad
			}
		}
	case *parse.IfNode:
		return meterBranch(&x.BranchNode)
	case *parse.WithNode:
		return meterBranch(&x.BranchNode)
	case *parse.RangeNode:
		if bad := meterBranch(&x.BranchNode); bad != nil {
			return bad
		}
		cost := nodeCost * (countNodes(x.List) + 1)
		x.List.Nodes = append([]parse.Node{tickAction(x.Position(), x.Line, cost)}, x.List.Nodes...)
	case *parse.TemplateNode:
		return x
	}
	return nil
}

func meterBranch(b *parse.BranchNode) parse.Node {
	if bad := meterLoops(b.List); bad != nil {
		return bad
	}
	return meterLoops(b.ElseList)
}

// countNodes is the size of a template subtree: the nodes one pass
// evaluates, at most.
func countNodes(n parse.Node) int {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return 0
		}
		c := 0
		for _, e := range x.Nodes {
			c += countNodes(e)
		}
		return c
	case *parse.ActionNode:
		return 1 + countPipe(x.Pipe)
	case *parse.IfNode:
		return 1 + countPipe(x.Pipe) + countNodes(x.List) + countNodes(x.ElseList)
	case *parse.WithNode:
		return 1 + countPipe(x.Pipe) + countNodes(x.List) + countNodes(x.ElseList)
	case *parse.RangeNode:
		return 1 + countPipe(x.Pipe) + countNodes(x.ElseList)
	}
	return 1
}

func countPipe(p *parse.PipeNode) int {
	if p == nil {
		return 0
	}
	c := len(p.Decl)
	for _, cmd := range p.Cmds {
		c += 1 + len(cmd.Args)
	}
	return c
}

// tickAction is {{secretdataLoopTick_ cost}} at pos (it prints nothing).
func tickAction(pos parse.Pos, line, cost int) *parse.ActionNode {
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{
		parse.NewIdentifier(tickFunc).SetPos(pos),
		&parse.NumberNode{NodeType: parse.NodeNumber, Pos: pos, IsInt: true, Int64: int64(cost), Text: strconv.Itoa(cost)},
	}}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Line: line,
		Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Line: line, Cmds: []*parse.CommandNode{cmd}}}
}
