package policies

import (
	"os"
	"testing"
)

func BenchmarkParseExample(b *testing.B) {
	src, err := os.ReadFile("../examples/policies/breast-cancer-dx.hcl")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if p, diags := Parse("breast-cancer-dx.hcl", src, nil); p == nil {
			b.Fatal(diags)
		}
	}
}

func BenchmarkHashExample(b *testing.B) {
	src, err := os.ReadFile("../examples/policies/breast-cancer-dx.hcl")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		_ = Hash(src)
	}
}
