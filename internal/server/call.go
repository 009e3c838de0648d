package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// attempt is one model of the chain, resolved and with budget reserved.
type attempt struct {
	name  string
	p     provider.Provider
	m     catalog.Model
	req   *provider.Request
	res   *spend.Reservation
	start time.Time
}

// begin resolves name, reserves its maximum cost and prepares the request.
func (s *Server) begin(x *exchange, name string, i int) (*attempt, error) {
	if i > 0 {
		s.metrics.fallbacks.WithLabelValues(x.chain[i-1], name).Inc()
		s.log.Warn("falling back", "request_id", x.id, "from", x.chain[i-1], "to", name, "error", x.errDetail)
		x.fellFrom = x.chain[0]
	}
	x.model = name
	x.attempts++
	p, m, err := s.deps.Upstreams.Get(name)
	if err != nil {
		// A missing key or bad endpoint for one model should not sink the
		// request while the chain has others.
		return nil, apierr.Wrap(apierr.UpstreamUnavailable, err, "model %q is not available", name)
	}
	a := &attempt{name: name, p: p, m: m, start: s.now()}
	if s.deps.Budgets != nil {
		if a.res = x.takeHold(name); a.res == nil {
			maxCost := m.Price.Cost(reservePrompt(x.req), x.preq.MaxTokens)
			if a.res, err = s.deps.Budgets.Reserve(x.ctx, x.keyID, maxCost); err != nil {
				return nil, err
			}
		}
	}
	req := *x.preq
	// Upstreams return the entry as Catalogue.Lookup does: UpstreamModel
	// is filled in, with the catalogue name when the config names none.
	req.Model = m.UpstreamModel
	a.req = &req
	return a, nil
}

// failed releases the reservation of an attempt whose call failed; no
// tokens were billed, so nothing is charged.
func (s *Server) failed(x *exchange, a *attempt, err error) {
	if a.res != nil {
		if rerr := a.res.Release(x.ctx); rerr != nil {
			s.log.Error("could not release budget reservation", "request_id", x.id, "error", rerr)
		}
	}
	s.metrics.upstream(a.name, s.now().Sub(a.start), string(apierr.CodeOf(err)), 0, 0, 0)
	x.errDetail = err.Error()
}

// settle charges an attempt's actual cost, from the upstream's usage.
func (s *Server) settle(x *exchange, a *attempt, u provider.Usage, errType string) {
	x.usage = u
	x.cost = a.m.Price.Cost(u.InputTokens, u.BilledOutput())
	if a.res != nil {
		if err := a.res.Commit(x.ctx, x.cost); err != nil {
			s.log.Error("could not commit spend to budget", "request_id", x.id, "cost_usd", x.cost, "error", err)
		}
	}
	s.metrics.upstream(a.name, s.now().Sub(a.start), errType, u.InputTokens, u.BilledOutput(), x.cost)
}

// fallBack reports whether the next model of the chain should be tried
// after err: not when the client is gone or out of time, not for budget
// refusals, and not for requests the gateway itself found invalid (they
// fail the same everywhere).
func (s *Server) fallBack(x *exchange, err error) bool {
	if x.ctx.Err() != nil {
		return false
	}
	switch apierr.CodeOf(err) {
	case apierr.BudgetExceeded, apierr.Invalid:
		return false
	}
	return true
}

func (s *Server) serveComplete(x *exchange) {
	resp, err := s.complete(x)
	if err != nil {
		s.fail(x, err)
		return
	}
	s.respond(x, resp)
}

// tryChain begins an attempt with each model of x.chain in turn and
// hands it to try, until try succeeds or fallBack says to stop; it
// returns the last error. A failed attempt's reservation is released.
func (s *Server) tryChain(x *exchange, try func(*attempt) error) error {
	var last error
	for i, name := range x.chain {
		a, err := s.begin(x, name, i)
		if err == nil {
			if err = try(a); err == nil {
				return nil
			}
			s.failed(x, a, err)
		}
		last = err
		if !s.fallBack(x, err) {
			break
		}
	}
	return last
}

// complete asks the models of x.chain in turn until one answers, and
// charges its answer.
func (s *Server) complete(x *exchange) (*provider.Response, error) {
	var resp *provider.Response
	err := s.tryChain(x, func(a *attempt) error {
		r, err := a.p.Complete(x.ctx, a.req)
		if err != nil {
			return err
		}
		s.settle(x, a, r.Usage, "")
		resp = r
		return nil
	})
	return resp, err
}

func (s *Server) respond(x *exchange, resp *provider.Response) {
	cost := x.totalCost()
	body, err := json.Marshal(openaiapi.FromResponse(x.id, x.model, x.start.Unix(), resp, &cost))
	if err != nil {
		s.fail(x, apierr.Wrap(apierr.Internal, err, "could not encode the response"))
		return
	}
	s.routerHeaders(x)
	x.w.Header().Set("X-Router-Cost-USD", formatUSD(cost))
	x.status = http.StatusOK
	writeRaw(x.w, http.StatusOK, body)
}

// routerHeaders say what the gateway decided. Values are made ASCII: the
// reasons may carry arrows or user text, and header bytes above 0x7f are
// read differently by different clients.
func (s *Server) routerHeaders(x *exchange) {
	h := x.w.Header()
	h.Set("X-Router-Model", x.model)
	if x.policy != "" {
		h.Set("X-Router-Policy", x.policy)
	}
	if x.scored {
		h.Set("X-Router-Score", strconv.FormatFloat(x.score, 'f', 4, 64))
	}
	if v := x.routerVersion(); v != "" {
		h.Set("X-Router-Version", v)
	}
	h.Set("X-Router-Rule", asciiHeader(x.rule))
	h.Set("X-Router-Reason", asciiHeader(x.reason))
	if x.fellFrom != "" {
		h.Set("X-Router-Fallback-From", x.fellFrom)
	}
	if x.outcome != "" {
		h.Set("X-Router-Cascade", x.outcome)
		if x.escScored {
			h.Set("X-Router-Escalate-Score", strconv.FormatFloat(x.escScore, 'f', 4, 64))
		}
	}
}

func asciiHeader(s string) string {
	s = strings.ReplaceAll(s, "→", "->")
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return strings.Map(func(r rune) rune {
				if r < 0x20 || r >= 0x7f {
					return '?'
				}
				return r
			}, s)
		}
	}
	return s
}

func formatUSD(v float64) string { return strconv.FormatFloat(v, 'f', 8, 64) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func apiErrAs(err error, target **apierr.Error) bool { return errors.As(err, target) }
