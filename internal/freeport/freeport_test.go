package freeport

import (
	"net"
	"testing"
)

func TestAddrsAreDistinctAndBindable(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		a := Addr(t)
		if seen[a] {
			t.Fatalf("address %s handed out twice", a)
		}
		seen[a] = true
	}
	for a := range seen {
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("handed-out address %s is not bindable: %v", a, err)
		}
		l.Close()
	}
}
