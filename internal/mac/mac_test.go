package mac

import "testing"

func key(t *testing.T, s string) Key {
	k, err := NewKey([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSumVerifiesOnlyTheSamePartsUnderTheSameKey(t *testing.T) {
	k := key(t, "0123456789abcdef0123")
	tag := k.Sum([]byte("uid-1"), []byte("record"))
	if !k.Verify(tag, []byte("uid-1"), []byte("record")) {
		t.Fatal("own tag refused")
	}
	cases := map[string]bool{
		"another object":       k.Verify(tag, []byte("uid-2"), []byte("record")),
		"another record":       k.Verify(tag, []byte("uid-1"), []byte("recorD")),
		"shifted parts":        k.Verify(tag, []byte("uid-1r"), []byte("ecord")),
		"another key":          key(t, "another key, same length").Verify(tag, []byte("uid-1"), []byte("record")),
		"not base64":           k.Verify("!!", []byte("uid-1"), []byte("record")),
		"the zero key":         Key{}.Verify(tag, []byte("uid-1"), []byte("record")),
		"a tag of other parts": k.Verify(k.Sum([]byte("x")), []byte("uid-1"), []byte("record")),
	}
	for name, ok := range cases {
		if ok {
			t.Errorf("accepted %s", name)
		}
	}
}

func TestDigestDependsOnTheKey(t *testing.T) {
	a, b := key(t, "key number one, long"), key(t, "key number two, long")
	if a.Digest([]byte("secret")) == b.Digest([]byte("secret")) {
		t.Fatal("digest does not depend on the key: a reader could confirm a guess")
	}
	if a.Digest([]byte("secret")) != a.Digest([]byte("secret")) || len(a.Digest([]byte("x"))) != 16 {
		t.Fatal("digest not stable")
	}
}

func TestShortKeysAreRefused(t *testing.T) {
	if _, err := NewKey([]byte("short")); err == nil {
		t.Fatal("accepted a 5-byte key")
	}
	raw, err := GenerateKey()
	if err != nil || len(raw) != KeySize {
		t.Fatalf("generated %d bytes, %v", len(raw), err)
	}
}
