// Package freeport hands out loopback TCP addresses for tests that must name an address
// before the process that binds it starts (Raft peers, xds-server child processes).
//
// Ports come from below the kernel's ephemeral range (Linux: 32768-60999), so outgoing
// connections made meanwhile cannot take them, and a port is handed out at most once per
// test process. Each is checked to be bindable at the moment it is handed out.
package freeport

import (
	"fmt"
	"math/rand"
	"net"
	"sync"
	"testing"
)

const (
	low  = 12000
	high = 32000 // exclusive; below the ephemeral range
)

var (
	mu     sync.Mutex
	issued = map[int]bool{}
	rng    = rand.New(rand.NewSource(rand.Int63()))
)

// Addr returns "127.0.0.1:port" for a port that is free now and that no other caller in this
// process has received.
func Addr(tb testing.TB) string {
	tb.Helper()
	addr, err := take()
	if err != nil {
		tb.Fatal(err)
	}
	return addr
}

func take() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; attempt < 1000; attempt++ {
		port := low + rng.Intn(high-low)
		if issued[port] {
			continue
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		issued[port] = true
		return addr, nil
	}
	return "", fmt.Errorf("freeport: no free loopback port in %d-%d after 1000 tries", low, high-1)
}
