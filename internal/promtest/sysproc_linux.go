package promtest

import "syscall"

// sysProcAttr makes the kernel kill Prometheus if the test binary dies without cleaning up,
// so no server outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
