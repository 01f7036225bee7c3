package rig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Postgres is a throwaway PostgreSQL server on a loopback port, run from
// Debian's packages (postgresql) as a non-root user.
type Postgres struct {
	Port int
	// Password of the superuser "postgres" (what Vault's database engine uses).
	Password string
	bin      string
	dir      string
	cmd      *exec.Cmd
}

// PostgresBinDir finds the server binaries (/usr/lib/postgresql/<v>/bin).
func PostgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install the postgresql package (apt-get install -y postgresql)")
}

// StartPostgres initialises a data directory and starts the server. As
// root, it runs as the "postgres" user (the server refuses root).
func StartPostgres(ctx context.Context) (_ *Postgres, err error) {
	bin, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vault-sync-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: bin, dir: dir, Password: "rig-postgres-password"}
	defer func() {
		if err != nil {
			p.Stop()
		}
	}()
	cred, err := postgresCredential(dir)
	if err != nil {
		return nil, err
	}
	pw := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pw, []byte(p.Password+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := chownAll(dir, cred); err != nil {
		return nil, err
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"--auth=scram-sha-256", "--pwfile="+pw, "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir // the test's own directory may be closed to the postgres user
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if p.Port, err = freePort(); err != nil {
		return nil, err
	}
	p.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(p.Port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	p.cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p.Login("postgres", p.Password) == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return nil, fmt.Errorf("postgres did not start on port %d:\n%s", p.Port, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// postgresCredential is who runs the server: the postgres user when we are
// root, otherwise ourselves (nil).
func postgresCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user (from the postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// The server must be able to reach its directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func chownAll(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, int(cred.Uid), int(cred.Gid))
	})
}

// URL is the connection URL template Vault's database engine uses.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgresql://{{username}}:{{password}}@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// Login checks that user/password can connect (with psql, a real client).
func (p *Postgres) Login(user, password string) error {
	_, err := p.psql(user, password, "select 1")
	return err
}

// psql runs one statement as user and returns its unaligned output.
func (p *Postgres) psql(user, password, sql string) (string, error) {
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", user,
		"-d", "postgres", "-tAc", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=5")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql as %s: %w: %s", user, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// Stop kills the server and removes its data.
func (p *Postgres) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	}
	os.RemoveAll(p.dir)
}

// RoleExists asks the server (as superuser) whether a role exists: a
// failed login does not say why, by design.
func (p *Postgres) RoleExists(role string) (bool, error) {
	out, err := p.psql("postgres", p.Password, "select count(*) from pg_roles where rolname = "+sqlString(role))
	return out == "1", err
}

// RoleCount counts the roles whose name matches a LIKE pattern.
func (p *Postgres) RoleCount(like string) (int, error) {
	out, err := p.psql("postgres", p.Password, "select count(*) from pg_roles where rolname like "+sqlString(like))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
