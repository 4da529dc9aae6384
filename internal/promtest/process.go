package promtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one run of the Prometheus binary.
type process struct {
	cmd     *exec.Cmd
	logMark int           // start of this run's output in the log buffer
	done    chan struct{} // closed when the process has exited and err is set
	err     error         // exit status from cmd.Wait
}

// Stop sends SIGTERM and waits for Prometheus to exit (SIGKILL after 30 s). Stopping a
// stopped server does nothing. It reports an error if Prometheus had already exited on its
// own, or exited with a failure status.
func (s *Server) Stop() error {
	return s.halt(syscall.SIGTERM)
}

// Kill sends SIGKILL and waits for the process to be gone: Prometheus goes down without
// flushing, as in a crash. Killing a stopped server does nothing.
func (s *Server) Kill() error {
	return s.halt(syscall.SIGKILL)
}

// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopGrace = 30 * time.Second

func (s *Server) halt(sig syscall.Signal) error {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return fmt.Errorf("prometheus had already exited on its own: %v", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal prometheus (pid %d) with %v: %w", p.cmd.Process.Pid, sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill() // the process is unresponsive; its exit is awaited below
		<-p.done
		return fmt.Errorf("prometheus (pid %d) ignored %v for %v and was killed", p.cmd.Process.Pid, sig, stopGrace)
	}
	if sig == syscall.SIGTERM && p.err != nil {
		return fmt.Errorf("prometheus (pid %d) exited after %v: %w", p.cmd.Process.Pid, sig, p.err)
	}
	return nil
}

// restartAttempts bounds how often Restart retries binding the same port.
const restartAttempts = 5

// Restart starts Prometheus again on the same port with the same data directory (after
// stopping it with SIGTERM if it is running) and waits until it is ready or ctx ends.
// Samples scraped before a Kill are recovered from the write-ahead log.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	var err error
	for attempt := 1; attempt <= restartAttempts; attempt++ {
		readyTimeout := s.readyTimeout
		if deadline, ok := ctx.Deadline(); ok {
			readyTimeout = min(readyTimeout, time.Until(deadline))
		}
		err = s.launchAndWait(readyTimeout)
		if err == nil || !errors.Is(err, errAddrInUse) {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restart: %w (last attempt: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

// errAddrInUse reports that Prometheus could not bind its port.
var errAddrInUse = errors.New("listen address already in use")

// launchAndWait starts one Prometheus process and waits for it to be ready. If it exits
// first, the error carries its log and wraps errAddrInUse when the port was taken.
func (s *Server) launchAndWait(readyTimeout time.Duration) error {
	p, err := s.launch()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	err = s.WaitReady(ctx)
	if err == nil {
		err = s.checkIdentity(ctx)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, errAddrInUse) {
		_ = s.Kill() // another server answers on our port; ours cannot bind it
		return err
	}
	select {
	case <-p.done:
		s.clearProc(p)
		out := s.logs.since(p.logMark)
		if strings.Contains(out, "address already in use") {
			return fmt.Errorf("%w: %s", errAddrInUse, s.Addr())
		}
		return fmt.Errorf("prometheus exited before it was ready (%v); the end of its output:\n%s", p.err, lastLines(out, 20))
	default:
		_ = s.Kill() // not ready in time: do not leave it running
		return fmt.Errorf("%w; the end of prometheus's output:\n%s", err, lastLines(s.logs.since(p.logMark), 20))
	}
}

// checkIdentity makes sure the server answering on the address is this Server's process
// and not another program that took the port between picking it and Prometheus binding it:
// the storage path in /api/v1/status/flags must be this Server's data directory.
func (s *Server) checkIdentity(ctx context.Context) error {
	flags, err := s.API().Flags(ctx)
	if err != nil {
		return fmt.Errorf("read the flags of the server on %s: %w", s.Addr(), err)
	}
	if got := flags["storage.tsdb.path"]; got != s.dataDir {
		return fmt.Errorf("%w: %s is served by another Prometheus (storage path %q, want %q)", errAddrInUse, s.Addr(), got, s.dataDir)
	}
	return nil
}

// launch starts the Prometheus process on the current address.
func (s *Server) launch() (*process, error) {
	addr := s.Addr()
	args := append([]string{"--web.listen-address=" + addr}, s.args...)
	cmd := exec.Command(s.binary, args...)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	cmd.SysProcAttr = sysProcAttr()
	fmt.Fprintf(s.logs, "--- promtest: %s %s\n", s.binary, strings.Join(args, " "))
	p := &process{cmd: cmd, logMark: s.logs.mark(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.binary, err)
	}
	// The goroutine ends when the process exits; halt and Cleanup make sure it does.
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return p, nil
}

// clearProc forgets p if it is still the current process.
func (s *Server) clearProc(p *process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == p {
		s.proc = nil
	}
}

// running returns the current process's done channel, or an error if no process runs.
func (s *Server) running() (<-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil, errors.New("prometheus is not running (stopped or killed; call Restart)")
	}
	return s.proc.done, nil
}

// freeLoopbackAddr asks the kernel for a free 127.0.0.1 port. The port is released before
// Prometheus binds it, so another process may take it in between; Start retries then.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free loopback port: %w", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("pick a free loopback port: %w", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(addr.Port)), nil
}

// readyClient is used for /-/ready probes; each probe is bounded by the caller's context.
var readyClient = &http.Client{}
