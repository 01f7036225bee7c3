package vault

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The storage side of vaultServer (vaultserver_test.go): KV v1 and v2
// (data, metadata, check-and-set), reads and issues of other engines, and
// the leases they hand out.

type leaseState struct {
	expire    time.Time
	renewable bool
	maxEnd    time.Time // renewals are capped here
}

type engineSecret struct {
	data     map[string]any
	leaseTTL int // seconds; 0: no lease
}

type kv2Entry struct {
	data    map[string]any // nil: the latest version is deleted
	version int
	custom  map[string]any
}

func (v *vaultServer) data(w http.ResponseWriter, method, p string, body map[string]any) {
	m, def := v.mountFor(p)
	rest := strings.TrimPrefix(p, m)
	switch {
	case def == nil:
		replyError(w, 404, "no handler for route "+p)
	case def["type"] == "kv" && def["options"].(map[string]any)["version"] == "2":
		v.kvV2(w, method, m, rest, body)
	case def["type"] == "kv":
		v.kvV1(w, method, p, body)
	case method != http.MethodGet && v.engine[p].data == nil: // an issue nothing answers
		reply(w, 204, nil)
	default: // a read, or an issue (engines that issue on write)
		v.engineRead(w, p)
	}
}

func (v *vaultServer) engineRead(w http.ResponseWriter, p string) {
	e, ok := v.engine[p]
	if !ok {
		replyError(w, 404)
		return
	}
	out := map[string]any{"data": e.data}
	if e.leaseTTL > 0 {
		id := fmt.Sprintf("%s/lease-%d", p, len(v.leases)+1)
		v.leases[id] = &leaseState{expire: time.Now().Add(time.Duration(e.leaseTTL) * time.Second), renewable: true,
			maxEnd: time.Now().Add(24 * time.Hour)}
		out["lease_id"], out["lease_duration"], out["renewable"] = id, e.leaseTTL, true
	}
	reply(w, 200, out)
}

func (v *vaultServer) kvV1(w http.ResponseWriter, method, p string, body map[string]any) {
	switch method {
	case http.MethodGet:
		if d, ok := v.kv1[p]; ok {
			reply(w, 200, map[string]any{"data": d})
			return
		}
		replyError(w, 404)
	case http.MethodDelete:
		delete(v.kv1, p)
		reply(w, 204, nil)
	default:
		v.kv1[p] = body
		reply(w, 204, nil)
	}
}

func (v *vaultServer) kvV2(w http.ResponseWriter, method, mount, rest string, body map[string]any) {
	kind, name, _ := strings.Cut(rest, "/")
	key := mount + name
	e := v.kv2[key]
	switch {
	case kind == "data" && method == http.MethodGet && (e == nil || e.version == 0):
		replyError(w, 404)
	case kind == "data" && method == http.MethodGet:
		// A deleted latest version is a 404 that still carries its metadata.
		code := map[bool]int{true: 200, false: 404}[e.data != nil]
		reply(w, code, map[string]any{"data": map[string]any{"data": e.data, "metadata": map[string]any{
			"version": e.version, "custom_metadata": e.custom, "deletion_time": ""}}})
	case kind == "data":
		v.kvV2Write(w, key, body)
	case kind == "metadata" && method == http.MethodGet && e == nil:
		replyError(w, 404)
	case kind == "metadata" && method == http.MethodGet:
		reply(w, 200, map[string]any{"data": map[string]any{"current_version": e.version, "custom_metadata": e.custom, "versions": map[string]any{}}})
	case kind == "metadata" && method == http.MethodDelete:
		delete(v.kv2, key)
		reply(w, 204, nil)
	case kind == "metadata":
		if e == nil {
			e = &kv2Entry{}
			v.kv2[key] = e
		}
		e.custom, _ = body["custom_metadata"].(map[string]any)
		reply(w, 204, nil)
	default:
		replyError(w, 404, "no handler for route "+mount+rest)
	}
}

func (v *vaultServer) kvV2Write(w http.ResponseWriter, key string, body map[string]any) {
	e := v.kv2[key]
	if e == nil {
		e = &kv2Entry{}
	}
	if opts, ok := body["options"].(map[string]any); ok {
		if cas, ok := opts["cas"].(float64); ok && int(cas) != e.version {
			replyError(w, 400, "check-and-set parameter did not match the current version")
			return
		}
	}
	e.data, _ = body["data"].(map[string]any)
	e.version++
	v.kv2[key] = e
	reply(w, 200, map[string]any{"data": map[string]any{"version": e.version, "deletion_time": ""}})
}

func (v *vaultServer) lease(w http.ResponseWriter, op string, body map[string]any) {
	id, _ := body["lease_id"].(string)
	if rid, ok := strings.CutPrefix(op, "revoke/"); ok {
		delete(v.leases, rid)
		reply(w, 204, nil)
		return
	}
	l, ok := v.leases[id]
	if !ok || time.Now().After(l.expire) {
		replyError(w, 400, "invalid lease")
		return
	}
	switch op {
	case "lookup":
		reply(w, 200, map[string]any{"data": map[string]any{"id": id, "ttl": int(time.Until(l.expire).Seconds()),
			"expire_time": l.expire.Format(time.RFC3339Nano), "renewable": l.renewable}})
	case "renew":
		if !l.renewable {
			replyError(w, 400, "lease is not renewable")
			return
		}
		inc, _ := body["increment"].(float64)
		l.expire = time.Now().Add(time.Duration(inc) * time.Second)
		if l.expire.After(l.maxEnd) {
			l.expire = l.maxEnd
		}
		reply(w, 200, map[string]any{"lease_id": id, "lease_duration": int(time.Until(l.expire).Round(time.Second).Seconds()), "renewable": true})
	default:
		replyError(w, 404, "no handler for route sys/leases/"+op)
	}
}
