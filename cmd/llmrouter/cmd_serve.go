package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/llmrouter/llmrouter/internal/logbuf"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/server"
)

// runServe runs the OpenAI-compatible routing gateway until SIGINT/SIGTERM,
// then drains in-flight requests; SIGHUP reloads the router model.
// --hash-key prints the sha256 to put in auth.keys for a key read from
// stdin (never from argv, which other users of the machine can read in ps).
func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "serve", "--config router.yaml [--addr :8080] | --hash-key < key.txt")
	cfgPath := fs.String("config", "", "gateway config (see configs/router.example.yaml); required")
	addr := fs.String("addr", "", "listen address, overriding the config's listen")
	hashKey := fs.Bool("hash-key", false, "read a gateway key from stdin and print its sha256 for auth.keys, then exit")
	check := fs.Bool("check", false, "validate the config and exit")
	pprofAddr := fs.String("pprof", "", "serve Go's /debug/pprof profiles on this separate address (keep it on loopback), e.g. 127.0.0.1:6060")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *hashKey {
		return printKeyHash(env)
	}
	if *cfgPath == "" {
		return fmt.Errorf("%w: --config is required (start from configs/router.example.yaml)", errUsage)
	}
	cfg, err := server.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Listen = *addr
	}
	if *check {
		fmt.Fprintf(env.Stdout, "%s: ok\n", *cfgPath)
		return nil
	}
	format := cfg.LogFormat
	if f := env.Getenv("LLMROUTER_LOG_FORMAT"); f != "" {
		format = f // the environment overrides the config
	}
	logw := logbuf.New(env.Stderr, *cfg.LogFlushInterval, 64<<10) // LoadConfig set the default
	defer logw.Close()
	log := newLogger(logw, format, env.Getenv("LLMROUTER_LOG_LEVEL"))
	srv, closeFn, err := server.Open(ctx, cfg, server.OpenOptions{Getenv: env.Getenv, Logger: log, Replay: replay.Lazy(replay.Options{})})
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		stop, err := servePprof(ctx, *pprofAddr, log)
		if err != nil {
			return errors.Join(err, closeFn())
		}
		defer stop()
	}
	stopReload := reloadOnHangup(ctx, srv)
	serveErr := srv.ListenAndServe(ctx)
	stopReload()
	return errors.Join(serveErr, closeFn())
}

// reloadOnHangup reloads the router model on each SIGHUP until stop is
// called (the conventional "re-read your files" signal for a daemon). A
// refused model is logged and counted by the server; the old one serves on.
func reloadOnHangup(ctx context.Context, srv *server.Server) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = srv.ReloadRouter(ctx, "sighup")
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

func printKeyHash(env *Env) error {
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	key := strings.TrimRight(line, "\r\n")
	if key == "" {
		if err != nil && err.Error() != "EOF" {
			return fmt.Errorf("read key from stdin: %w", err)
		}
		return fmt.Errorf("%w: --hash-key reads the key from stdin, got nothing", errUsage)
	}
	fmt.Fprintln(env.Stdout, server.HashKey(key))
	return nil
}
