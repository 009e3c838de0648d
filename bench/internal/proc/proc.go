// Package proc reads a Linux process's CPU time and memory from /proc, so
// the benchmark can measure a gateway or trainer running as a subprocess
// without instrumenting it.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc/<pid>/stat on
// every architecture Go supports (the kernel converts internally).
const clockTicks = 100

// Usage is a snapshot of one process.
type Usage struct {
	// CPU is user + system time consumed so far.
	CPU time.Duration
	// RSS is the resident set now; HWM its peak so far (VmHWM).
	RSS, HWM int64
}

// Read returns pid's usage; pid 0 means this process.
func Read(pid int) (Usage, error) {
	p := "self"
	if pid != 0 {
		p = strconv.Itoa(pid)
	}
	stat, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return Usage{}, fmt.Errorf("read cpu time: %w", err)
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%s/stat: %w", p, err)
	}
	status, err := os.ReadFile("/proc/" + p + "/status")
	if err != nil {
		return Usage{}, fmt.Errorf("read memory: %w", err)
	}
	rss, hwm, err := parseStatusMem(status)
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%s/status: %w", p, err)
	}
	return Usage{CPU: cpu, RSS: rss, HWM: hwm}, nil
}

// parseStatCPU returns utime+stime. The command name (field 2) may hold
// spaces and parentheses, so fields are counted after the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// After ')': state is field 3, so utime (14) and stime (15) are f[11], f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu ticks %q: %w", s, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// parseStatusMem returns VmRSS and VmHWM in bytes.
func parseStatusMem(status []byte) (rss, hwm int64, err error) {
	found := 0
	for _, line := range strings.Split(string(status), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("%s: unexpected value %q", key, val)
		}
		kb, perr := strconv.ParseInt(f[0], 10, 64)
		if perr != nil {
			return 0, 0, fmt.Errorf("%s: %w", key, perr)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("VmRSS or VmHWM missing")
	}
	return rss, hwm, nil
}

// MiB formats bytes as mebibytes with one decimal.
func MiB(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }
