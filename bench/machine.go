package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPU       string
	Cores     int
	GoVersion string
	OS        string
	MemTotal  string
	Date      time.Time
	Commit    string
	// LoadStart and LoadEnd are /proc/loadavg's 1-, 5- and 15-minute load
	// averages when the run started and ended: other work on the machine.
	LoadStart, LoadEnd string
}

func detectMachine(now time.Time) Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, MemTotal: "unknown", Date: now.UTC()}
	m.CPU = firstField("/proc/cpuinfo", "model name", m.CPU)
	m.MemTotal = memTotal(firstField("/proc/meminfo", "MemTotal", ""))
	if k := firstField("/proc/sys/kernel/osrelease", "", ""); k != "" {
		m.OS += ", Linux " + k
	}
	m.Commit = gitCommit()
	m.LoadStart = loadAvg()
	return m
}

func loadAvg() string {
	f := strings.Fields(firstField("/proc/loadavg", "", ""))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// firstField returns the value of the first "key: value" line of path (the
// first line when key is empty), or def.
func firstField(path, key, def string) string {
	f, err := os.Open(path)
	if err != nil {
		return def
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if key == "" {
			return strings.TrimSpace(line)
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return def
}

// gitCommit is the vcs revision stamped into the binary by go build, or
// (go run stamps none) what git says about the working tree.
func gitCommit() string {
	if info := buildInfo(); info != "" {
		return info
	}
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += " (working tree has uncommitted changes)"
	}
	return rev
}

func (m Machine) writeMarkdown(b *strings.Builder) {
	b.WriteString("| machine | |\n| --- | --- |\n")
	fmt.Fprintf(b, "| CPU | %s |\n", m.CPU)
	fmt.Fprintf(b, "| cores (logical) | %d |\n", m.Cores)
	fmt.Fprintf(b, "| memory | %s |\n", m.MemTotal)
	fmt.Fprintf(b, "| OS | %s |\n", m.OS)
	fmt.Fprintf(b, "| Go | %s |\n", m.GoVersion)
	fmt.Fprintf(b, "| commit | %s |\n", m.Commit)
	fmt.Fprintf(b, "| date | %s |\n", m.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b, "| load average (1, 5, 15 min) at start / end | %s / %s (other work was running on these %d cores; read p99s with that in mind) |\n", m.LoadStart, m.LoadEnd, m.Cores)
}

// memTotal turns /proc/meminfo's "24683620 kB" into "23.5 GiB".
func memTotal(v string) string {
	var kb int64
	if _, err := fmt.Sscanf(v, "%d kB", &kb); err != nil || kb <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}
