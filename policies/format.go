package policies

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Format returns src in the canonical layout described in canonical.go (the layout of
// terraform fmt in its essentials: two-space indentation, aligned equals signs, canonical
// spacing, "\n" line endings, one final newline). It fails when src is not valid HCL
// syntax (the error wraps a *ParseError with positions) or when the formatted text would
// not parse. Format(Format(src)) == Format(src).
func Format(src []byte) ([]byte, error) {
	if _, diags := hclsyntax.ParseConfig(src, "<source>", hcl.InitialPos); diags.HasErrors() {
		return nil, fmt.Errorf("format: %w", DiagnosticsError(diags))
	}
	out, err := canonical(src)
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	if _, diags := hclsyntax.ParseConfig(out, "<source>", hcl.InitialPos); diags.HasErrors() {
		return nil, fmt.Errorf("format: the formatted text does not parse: %w", DiagnosticsError(diags))
	}
	return out, nil
}

// Hash returns "sha256:<hex>" of src's canonical form, so reformatting a policy does not
// change its identity while any change of content does. Source that is not valid HCL has
// no canonical form; its hash is taken over the bytes with line endings normalised, so it
// is still stable, but such a file never becomes a policy record (Parse rejects it).
func Hash(src []byte) string {
	canon, err := canonical(src)
	if err != nil {
		canon = normaliseNewlines(src)
	}
	sum := sha256.Sum256(canon)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func normaliseNewlines(src []byte) []byte {
	return bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
}
