package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

type proxyReq struct {
	Upstream string // base URL of the fake upstream
}

// childProxy is the floor the gateway is compared with: the standard
// library's reverse proxy, doing no work of its own, with a connection
// pool like the gateway's. Whatever latency it adds on this machine is
// the price of one extra loopback HTTP hop between processes, which no
// gateway can avoid; the gateway's own work is what it adds beyond that.
func childProxy(ctx context.Context, dec *json.Decoder, emit func(any) error) error {
	var req proxyReq
	if err := dec.Decode(&req); err != nil {
		return err
	}
	u, err := url.Parse(req.Upstream)
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if err := emit(addrResp{URL: "http://" + ln.Addr().String(), PID: os.Getpid()}); err != nil {
		return err
	}
	waitStdinClosed(ctx, dec)
	return nil
}
