package raftstore

import (
	"os"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/api"
)

func applyPolicyCmd(name, src string) Command {
	golden, err := os.ReadFile("../examples/data/golden.csv")
	if err != nil {
		panic(err)
	}
	return Command{Type: CmdApplyPolicy, Header: hdr("sre"), Body: ApplyPolicyBody{Name: name, Filename: name + ".hcl", Source: src,
		Datasets: map[string][]byte{"../data/golden.csv": golden}}}
}

func TestPolicyVersionsAndConflicts(t *testing.T) {
	src, err := os.ReadFile("../examples/policies/breast-cancer-dx.hcl")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	first := h.must(applyPolicyCmd("demo", string(src)))
	st := h.fsm.State()
	p := st.Policy("demo")
	if p == nil || p.CreateIndex != first || !strings.HasPrefix(p.Hash, "sha256:") || len(p.Services) != 1 || p.Services[0] != "breast-cancer-dx" {
		t.Fatalf("policy record = %+v", p)
	}
	if st.PolicyFor("breast-cancer-dx") != p {
		t.Fatal("PolicyFor does not find the governing policy")
	}

	// Re-applying the same content records nothing new.
	before := len(st.PolicyHistory("demo"))
	h.must(applyPolicyCmd("demo", "\n\n"+string(src)))
	if len(st.PolicyHistory("demo")) != before {
		t.Fatal("re-applying identical content (reformatted) created a new version")
	}

	// A changed threshold is a new version; the old one stays in the history.
	changed := strings.Replace(string(src), "threshold = 0.01", "threshold = 0.02", 1)
	second := h.must(applyPolicyCmd("demo", changed))
	hist := st.PolicyHistory("demo")
	if len(hist) != 2 || hist[0].Hash == hist[1].Hash || hist[1].ModifyIndex != second || hist[1].CreateIndex != first {
		t.Fatalf("history = %+v", hist)
	}

	// Another policy may not govern the same service.
	r := h.apply(applyPolicyCmd("other", string(src)))
	if r.Err == nil || r.Err.Code != api.CodeConflict || !strings.Contains(r.Err.Message, `already governed by policy "demo"`) {
		t.Fatalf("second policy for the service = %+v", r.Err)
	}

	// A broken policy is refused with its position and changes nothing.
	r = h.apply(applyPolicyCmd("demo", strings.Replace(string(src), `condition = "below"`, `condition = "sideways"`, 1)))
	if r.Err == nil || r.Err.Code != api.CodeInvalid || !strings.Contains(r.Err.Message, "demo.hcl:") {
		t.Fatalf("invalid policy = %+v", r.Err)
	}
	if st.Policy("demo").ModifyIndex != second {
		t.Fatal("a refused policy replaced the current one")
	}

	// Deleting keeps the history and frees the service.
	h.must(Command{Type: CmdDeletePolicy, Header: hdr("sre"), Body: DeletePolicyBody{Name: "demo"}})
	if st.Policy("demo") != nil || st.PolicyFor("breast-cancer-dx") != nil {
		t.Fatal("policy still present after delete")
	}
	if hist := st.PolicyHistory("demo"); len(hist) != 3 || !hist[2].Deleted {
		t.Fatalf("history after delete = %d entries", len(hist))
	}
	h.must(applyPolicyCmd("other", string(src)))
}
