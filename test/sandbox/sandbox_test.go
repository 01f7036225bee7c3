package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSandboxEndToEnd runs `make run-local`'s program as a user would, in
// the background, checks what it reports, stops it with Ctrl-C (SIGINT) and
// checks that it cleaned up.
func TestSandboxEndToEnd(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sandbox")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	timeout := time.After(3 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox exited early:\n%s", out.String())
			}
			out.WriteString(l + "\n")
			if strings.Contains(l, "sandbox ready. Press Ctrl-C to stop.") {
				break wait
			}
		case <-timeout:
			t.Fatalf("sandbox not ready in 3 minutes:\n%s", out.String())
		}
	}
	text := out.String()
	for _, want := range []string{
		"push: vault secret/data/my-app now holds keys app_password, app_username",
		"push: vault secret/data/web/web-db now holds keys host, port",
		"pull: Secret default/billing-service-vault-secrets holds keys db_url, provider_x_api_key",
		"pull: condition SecretsSynced=True",
		"pull: condition MonitoringReady=True",
		"export KUBECONFIG=",
		"export VAULT_ADDR=",
		"controller-manager, scheduler and kwok node up",
		"pull: the sample's pods",
		"1/1      running",
		"pull: rolled out: vaultapp.techweaver.io/secret-version",
		"dynamic: Secret web/web-tls-vault-secrets holds a certificate for web.example.com",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	checkPrometheus(t, text)
	var rigDir string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "export KUBECONFIG=") {
			rigDir = filepath.Dir(strings.TrimSpace(strings.SplitN(l, "=", 2)[1]))
		}
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for range lines { // drain until exit
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sandbox did not exit cleanly on Ctrl-C: %v", err)
	}
	if _, err := os.Stat(rigDir); !os.IsNotExist(err) {
		t.Errorf("rig directory %s left behind", rigDir)
	}
}
