package v1alpha1

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

func TestDurationDecodesValidValuesAndKeepsInvalidOnes(t *testing.T) {
	for _, tc := range []struct {
		json    string
		want    time.Duration
		invalid bool
	}{
		{`"90s"`, 90 * time.Second, false},
		{`"1h30m"`, 90 * time.Minute, false},
		{`"3000000h"`, 0, true}, // overflows Go's time.Duration
		{`"soon"`, 0, true},
		{`5`, 0, true},
		{`{"a":1}`, 0, true},
	} {
		var d Duration
		if err := json.Unmarshal([]byte(tc.json), &d); err != nil {
			t.Fatalf("%s: decode failed: %v", tc.json, err)
		}
		if d.Duration != tc.want || (d.Err() != nil) != tc.invalid {
			t.Errorf("%s: got %v, err %v", tc.json, d.Duration, d.Err())
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if tc.invalid && string(out) != tc.json {
			t.Errorf("%s re-encoded as %s: the stored value must survive an update", tc.json, out)
		}
		u := d.ToUnstructured()
		if b, _ := json.Marshal(u); string(b) != string(out) {
			t.Errorf("%s: ToUnstructured %s differs from MarshalJSON %s", tc.json, b, out)
		}
	}
	if (*Duration)(nil).Err() != nil {
		t.Error("a nil Duration reports an error")
	}
	if got, _ := json.Marshal(NewDuration(2 * time.Minute)); string(got) != `"2m0s"` {
		t.Errorf("NewDuration marshals as %s", got)
	}
}

// badList is a VaultApp list as the apiserver returns it, with one item
// admitted by an older CRD that Go's duration parser refuses.
const badList = `{"apiVersion":"app.techweaver.io/v1alpha1","kind":"VaultAppList","metadata":{},"items":[
 {"metadata":{"name":"a","namespace":"t1"},"spec":{"deploymentSpec":{"selector":null,"template":{}},"vault":{"role":"r","refreshInterval":"1m","secrets":[{"path":"kv/a","key":"k","targetKey":"k"}]}}},
 {"metadata":{"name":"b","namespace":"t2"},"spec":{"deploymentSpec":{"selector":null,"template":{}},"vault":{"role":"r","leases":{"revokeGracePeriod":"3000000h"},"secrets":[{"path":"kv/b","key":"k","targetKey":"k"}]}}},
 {"metadata":{"name":"c","namespace":"t3"},"spec":{"deploymentSpec":{"selector":null,"template":{}},"vault":{"role":"r","issue":[{"path":"pki/issue/web","pki":{"commonName":"x","ttl":"720h"}}],"secrets":[{"path":"pki/issue/web","key":"certificate","targetKey":"tls.crt"}]}}}
]}`

func TestAListWithOneUnparsableDurationDecodes(t *testing.T) {
	// The scheme's deserializer is what client-go's informers use.
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	obj, _, err := serializer.NewCodecFactory(scheme).UniversalDeserializer().Decode([]byte(badList), nil, nil)
	if err != nil {
		t.Fatalf("the list does not decode: %v", err)
	}
	list := obj.(*VaultAppList)
	if len(list.Items) != 3 {
		t.Fatalf("%d items", len(list.Items))
	}
	a, b, c := list.Items[0], list.Items[1], list.Items[2]
	if a.Spec.Vault.RefreshInterval.Duration != time.Minute || len(a.ValidateSpec()) > 0 {
		t.Errorf("item a: %v, %v", a.Spec.Vault.RefreshInterval, a.ValidateSpec())
	}
	if c.Spec.Vault.Issue[0].PKI.TTL.Duration != 720*time.Hour || len(c.ValidateSpec()) > 0 {
		t.Errorf("item c: %v, %v", c.Spec.Vault.Issue[0].PKI.TTL, c.ValidateSpec())
	}
	errs := b.ValidateSpec()
	if len(errs) != 1 || errs[0].Field != "spec.vault.leases.revokeGracePeriod" || !strings.Contains(errs[0].Error(), `Invalid value: "3000000h": is not a duration`) {
		t.Errorf("item b reports %v", errs)
	}

	// What this replaces: with metav1.Duration the whole list failed.
	var old struct {
		Items []struct {
			Spec struct {
				Vault struct {
					Leases *struct {
						RevokeGracePeriod *metav1.Duration `json:"revokeGracePeriod"`
					} `json:"leases"`
				} `json:"vault"`
			} `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(badList), &old); err == nil {
		t.Error("metav1.Duration decoded 3000000h; the test no longer shows the failure it guards against")
	}
}

func TestAnUnparsableDurationSurvivesARoundTrip(t *testing.T) {
	var list VaultAppList
	if err := json.Unmarshal([]byte(badList), &list); err != nil {
		t.Fatal(err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&list.Items[1])
	if err != nil {
		t.Fatal(err)
	}
	grace := u["spec"].(map[string]interface{})["vault"].(map[string]interface{})["leases"].(map[string]interface{})["revokeGracePeriod"]
	if grace != "3000000h" {
		t.Errorf("unstructured revokeGracePeriod = %v", grace)
	}
	var back VaultApp
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, &back); err != nil {
		t.Fatal(err)
	}
	if back.Spec.Vault.Leases.RevokeGracePeriod.Err() == nil {
		t.Error("the invalid value was lost in the round trip")
	}
	cp := back.DeepCopy()
	if cp.Spec.Vault.Leases.RevokeGracePeriod.Err() == nil {
		t.Error("DeepCopy lost the invalid value")
	}
}
