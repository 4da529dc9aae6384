// Package policies is Vigil's policy language: HCL files in which SREs declare how new
// versions of a service roll out (canary and blue-green plans), what makes Vigil take them
// back (triggers over Prometheus queries), how candidates are compared with the baseline
// (statistical judges) and what a clinical validation run must show (criteria on confidence
// bounds). The language is documented in docs/policies.md.
//
// Parse turns one file into typed, validated specs. It reports every problem with its
// file:line:col, what was wrong and what to do; a policy is returned only when there are no
// errors. Specs keep the hcl.Range of their blocks so the controller can cite them in
// evidence. Query templates keep the runtime placeholders ${service}, ${version},
// ${baseline_version} and ${interval} for QueryTemplate.Render.
//
// Format and Hash give a policy file its canonical layout and its identity
// ("sha256:<hex>" of the canonical text), and Diff compares two parsed policies
// structurally.
//
// The package depends only on the standard library, hcl/v2 (hclsyntax) and go-cty. It
// evaluates nothing at run time: rendering queries, running them and judging results
// belong to package safety.
package policies
