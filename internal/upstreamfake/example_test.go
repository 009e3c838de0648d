package upstreamfake_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// A test scripts the first call to be rate limited and the second to
// answer, then checks what the fake counted.
func Example() {
	s, err := fake.Start("", fake.WithScript(fake.Queue(fake.RateLimited(time.Second))))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	body := `{"contents":[{"role":"user","parts":[{"text":"Capital of France?"}]}]}`
	for range 2 {
		resp, err := c.Post(s.GeminiBase+"/models/gemini-2.5-flash:generateContent", "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("%d retry-after=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	st := s.Stats()
	fmt.Println(st.Calls, st.Served, st.ByFault["status_429"], st.Usage)
	// Output:
	// 429 retry-after="1"
	// 200 retry-after=""
	// 2 1 1 {3 6 0}
}
