package promtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinaryEnv names the environment variable that, when set, is the path of the Prometheus
// binary to run. It wins over $PATH and <repo>/.bin/prometheus.
const BinaryEnv = "VIGIL_PROMETHEUS"

// modulePath identifies Vigil's repository root: the directory whose go.mod declares it.
const modulePath = "github.com/seed70a3350f/vigil"

// installScript is the repository-relative command that installs a Prometheus binary.
const installScript = "scripts/install-prometheus.sh"

// errNoBinary reports that no Prometheus binary could be found.
var errNoBinary = errors.New("no prometheus binary")

// binaryLookup holds what findBinary consults, so the search order can be tested without
// touching the real environment.
type binaryLookup struct {
	env      string                       // value of $VIGIL_PROMETHEUS, "" when unset
	lookPath func(string) (string, error) // exec.LookPath
	repoRoot string                       // "" when the repository root was not found
	isFile   func(string) bool            // whether a path is an existing regular file
}

// findBinary returns the path of the Prometheus binary to run, searching $VIGIL_PROMETHEUS,
// then "prometheus" on $PATH, then <repo>/.bin/prometheus. A $VIGIL_PROMETHEUS that names a
// missing file is an error, not a reason to fall back: the caller asked for that binary.
// The error wraps errNoBinary and names the install command.
func findBinary(l binaryLookup) (string, error) {
	install := installScript
	if l.repoRoot != "" {
		install = filepath.Join(l.repoRoot, installScript)
	}
	if l.env != "" {
		if !l.isFile(l.env) {
			return "", fmt.Errorf("%w: $%s is %q, which is not an existing file; fix the variable or unset it and install Prometheus with: %s",
				errNoBinary, BinaryEnv, l.env, install)
		}
		return l.env, nil
	}
	if p, err := l.lookPath("prometheus"); err == nil {
		return p, nil
	}
	local := "<repo>/.bin/prometheus (repository root not found)"
	if l.repoRoot != "" {
		local = filepath.Join(l.repoRoot, ".bin", "prometheus")
		if l.isFile(local) {
			return local, nil
		}
	}
	return "", fmt.Errorf("%w: $%s is unset, \"prometheus\" is not on $PATH and %s does not exist; install one with: %s",
		errNoBinary, BinaryEnv, local, install)
}

// defaultBinaryLookup reads the real environment.
func defaultBinaryLookup() binaryLookup {
	root, _ := findRepoRoot() // not finding the root only removes one search location
	return binaryLookup{
		env:      os.Getenv(BinaryEnv),
		lookPath: exec.LookPath,
		repoRoot: root,
		isFile: func(p string) bool {
			fi, err := os.Stat(p)
			return err == nil && fi.Mode().IsRegular()
		},
	}
}

// findRepoRoot walks up from the working directory (a test runs in its package directory)
// to the directory whose go.mod declares Vigil's module path.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod"), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod declaring module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod at path declares module mod.
func declaresModule(path, mod string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == mod
		}
	}
	return false
}

// FindBinary returns the Prometheus binary the harness would run (see findBinary), for
// programs such as the demo that start their own Prometheus.
func FindBinary() (string, error) { return findBinary(defaultBinaryLookup()) }
