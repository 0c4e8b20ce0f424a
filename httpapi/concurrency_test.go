package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Eight clients at once, each about its own demo image, each answered as edge ask would.
func TestEightClients(t *testing.T) {
	e := newEnv(t, Config{})
	const q = "what shape is on the left?"
	type result struct {
		status int
		text   string
		err    error
	}
	results := make([]result, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(oaiBody(q, "data:image/png;base64,"+b64(t, demo(i)), false))
			r, err := http.Post(e.http.URL+"/v1/chat/completions", "application/json", bytes.NewReader(b))
			if err != nil {
				results[i].err = err
				return
			}
			defer r.Body.Close()
			var out struct {
				Choices []struct{ Message struct{ Content string } }
			}
			results[i].status = r.StatusCode
			results[i].err = json.NewDecoder(r.Body).Decode(&out)
			if len(out.Choices) > 0 {
				results[i].text = out.Choices[0].Message.Content
			}
		}()
	}
	wg.Wait()
	for i, r := range results {
		require.NoError(t, r.err)
		require.Equal(t, 200, r.status)
		require.Equal(t, want(t, e.m, demo(i), q), r.text, "client %d", i)
	}
}

// With one request running and one waiting, a third gets 503 with Retry-After.
func TestQueueFull(t *testing.T) {
	e := newEnv(t, Config{QueueSize: 1})
	release := make(chan struct{})
	var once sync.Once
	first := make(chan struct{})
	e.srv.afterToken = func(ctx context.Context, n int) {
		once.Do(func() { close(first) })
		<-release
	}
	url := "data:image/png;base64," + b64(t, demo(3))
	errs := make(chan error, 2)
	codes := make(chan int, 2)
	for i := 0; i < 2; i++ {
		go func() {
			b, _ := json.Marshal(oaiBody("", url, true))
			r, err := http.Post(e.http.URL+"/v1/chat/completions", "application/json", bytes.NewReader(b))
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			codes <- r.StatusCode
			errs <- nil
		}()
		if i == 0 {
			<-first // the first one holds the model
		}
	}
	for e.srv.waiting.Load() != 1 { // the second one waits for it
		time.Sleep(5 * time.Millisecond)
	}
	resp, body := e.post(t, "/v1/chat/completions", "", oaiBody("", url, false))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(body))
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	require.Contains(t, string(body), "queue_full")
	resp, body = e.post(t, "/api/generate", "", map[string]any{"model": "shapes", "images": []string{b64(t, demo(3))}})
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(body))
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	close(release)
	for i := 0; i < 2; i++ {
		require.NoError(t, <-errs)
		require.Equal(t, 200, <-codes)
	}
}

// watched is the real model with a note of when each answer returned.
type watched struct {
	Model
	done chan error
}

func (w watched) Answer(ctx context.Context, r Request) (Reply, error) {
	rep, err := w.Model.Answer(ctx, r)
	w.done <- err
	return rep, err
}

// A client that goes away mid-stream stops its generation before the next decode step,
// and the model is free for the next request.
func TestDisconnectCancels(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/api/generate"} {
		t.Run(path, func(t *testing.T) {
			m := model(t)
			w := watched{Model: NewBLIP2(m, "shapes", nil), done: make(chan error, 4)}
			s := New(Config{}, w, nil)
			h := newTestServer(t, s)
			var tokens, atCancel atomic.Int64
			s.afterToken = func(ctx context.Context, n int) {
				tokens.Store(int64(n))
				if n == 1 {
					<-ctx.Done() // hold the decode loop until the server sees the client go
					atCancel.Store(int64(n))
				}
			}
			var b []byte
			if path == "/api/generate" {
				b, _ = json.Marshal(map[string]any{"model": "shapes", "images": []string{b64(t, demo(4))}})
			} else {
				b, _ = json.Marshal(oaiBody("", "data:image/png;base64,"+b64(t, demo(4)), true))
			}
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", h+path, bytes.NewReader(b))
			r, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			buf := make([]byte, 1)
			_, err = r.Body.Read(buf) // the first token is on its way
			require.NoError(t, err)
			cancel()
			r.Body.Close()
			require.ErrorIs(t, <-w.done, context.Canceled)
			require.Equal(t, int64(1), atCancel.Load())
			require.LessOrEqual(t, tokens.Load(), atCancel.Load()+1, "at most one decode step after the cancel")
			s.afterToken = nil
			// The model is free: the next request is answered.
			resp, err := http.Post(h+path, "application/json", bytes.NewReader(b))
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
			require.NoError(t, <-w.done)
			require.Equal(t, uint64(1), s.metrics.cancelled.Load())
		})
	}
}
