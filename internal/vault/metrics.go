package vault

// Observer receives what the Vault client does, so the metrics package can
// count it without this package depending on Prometheus.
type Observer interface {
	// Login is called after every login attempt with "success" or the error category.
	Login(result string)
	// Request is called for every HTTP request sent to Vault.
	Request(kind RequestKind, code int)
}

// RequestKind groups Vault requests by what they do.
type RequestKind string

const (
	KindLogin       RequestKind = "login"
	KindRenew       RequestKind = "renew"
	KindMountLookup RequestKind = "mount_lookup"
	KindRead        RequestKind = "read"
	KindWrite       RequestKind = "write"
	KindDelete      RequestKind = "delete"
	KindHealth      RequestKind = "health"
	KindOther       RequestKind = "other"
)

type nopObserver struct{}

func (nopObserver) Login(string)             {}
func (nopObserver) Request(RequestKind, int) {}
