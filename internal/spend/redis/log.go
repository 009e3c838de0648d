package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// slogAdapter sends go-redis's own messages (pool and reconnect notices)
// into the gateway's structured log instead of unstructured lines on stderr.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Printf(ctx context.Context, format string, v ...any) {
	a.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "go-redis")
}

// SetLogger routes go-redis's process-wide logger through log.
func SetLogger(log *slog.Logger) {
	if log != nil {
		goredis.SetLogger(slogAdapter{log: log})
	}
}
