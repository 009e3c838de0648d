package server

import (
	"fmt"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// redisProc is a redis-server of the test's own, killed and restarted on
// one port. The append-only file, synced on every write, keeps what it
// counted across the kill, as a production Redis with persistence would.
type redisProc struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

func startRedisProc(t *testing.T) *redisProc {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH: the outage e2e with a real Redis is skipped")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &redisProc{t: t, port: port, dir: t.TempDir()}
	p.start(path)
	t.Cleanup(p.kill)
	return p
}

func (p *redisProc) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", p.port) }

func (p *redisProc) start(path string) {
	p.t.Helper()
	p.cmd = exec.Command(path, "--port", fmt.Sprint(p.port), "--bind", "127.0.0.1", "--dir", p.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", p.port)})
	defer rdb.Close()
	deadline := time.Now().Add(3 * time.Second)
	for rdb.Ping(p.t.Context()).Err() != nil {
		if time.Now().After(deadline) {
			p.t.Fatal("redis-server did not answer within 3s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *redisProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		p.cmd = nil
	}
}

// outageClients send requests concurrently through an outage.
const outageClients = 8

// outageRun sends requests from outageClients clients for 1.5 s while Redis is killed
// at 0.4 s and restarted at 0.9 s; it returns the statuses and the
// slowest request answered during the outage.
func outageRun(t *testing.T, g *real, p *redisProc) (map[int]int, time.Duration) {
	path, _ := exec.LookPath("redis-server")
	var mu sync.Mutex
	codes := map[int]int{}
	var slowest time.Duration
	stop := make(chan struct{})
	var wg sync.WaitGroup
	outage := make(chan struct{})
	for range outageClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				status, _, _ := g.post("/v1/chat/completions", outageBody, "Authorization", "Bearer "+gatewayKey)
				el := time.Since(start)
				mu.Lock()
				codes[status]++
				select {
				case <-outage:
					if p.cmd == nil && el > slowest {
						slowest = el
					}
				default:
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(400 * time.Millisecond)
	mu.Lock()
	p.kill()
	close(outage)
	mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	p.start(path)
	mu.Unlock()
	time.Sleep(600 * time.Millisecond)
	close(stop)
	wg.Wait()
	return codes, slowest
}

func TestRedisServerOutageE2E(t *testing.T) {
	for _, policy := range []string{"local", "closed"} {
		t.Run(policy, func(t *testing.T) {
			p := startRedisProc(t)
			fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""), upstreamfake.WithAnswer(budgetAnswer))
			env := map[string]string{"TEST_REDIS_URL": p.url(), "TEST_REDIS_POLICY": policy}
			g := startGateway(t, fake, "budgets: {global_usd: 1000}\n", env)
			codes, slowest := outageRun(t, g, p)
			waitReady(t, g, 200)
			recorded := g.summary().CostUSD
			spent, err := g.srv.deps.Budgets.Spent(t.Context(), "tester")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("on_redis_error %s: statuses %v, slowest answer in the outage %v; Redis holds $%.6f, the store recorded $%.6f",
				policy, codes, slowest, spent, recorded)
			switch policy {
			case "local":
				if len(codes) != 1 || codes[200] == 0 {
					t.Errorf("statuses %v: want every request answered", codes)
				}
			case "closed":
				if codes[503] == 0 || codes[200]+codes[503] != total(codes) {
					t.Errorf("statuses %v: want 200s and, during the outage, 503s only", codes)
				}
			}
			if slowest > outageBound {
				t.Errorf("slowest answer during the outage %v, want < %v", slowest, outageBound)
			}
			// A commit whose reply was lost in the kill is counted again on
			// reconciliation, and one in flight at the kill may be lost: at
			// most one request per client either way.
			if slack := outageClients * budgetMaxCost; spent < recorded-slack || spent > recorded+slack {
				t.Errorf("Redis holds $%.6f after recovery, the store recorded $%.6f", spent, recorded)
			}
		})
	}
}

func total(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
