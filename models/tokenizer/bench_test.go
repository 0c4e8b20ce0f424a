package tokenizer

import (
	"path/filepath"
	"testing"
)

// benchText is about 1 KB of plain English.
const benchText = `The camera on the robot looks at the kitchen every few seconds and describes what it sees. ` +
	`A woman is sitting at the table with a cup of coffee, reading a newspaper, while a small brown dog sleeps ` +
	`under her chair. On the counter there are three red apples, a loaf of bread and a knife next to a cutting ` +
	`board. The window behind the sink is open, and the afternoon light falls across the floor. Question: is the ` +
	`door open? Answer: no, the door on the left is closed, but the window is open. Question: how many apples are ` +
	`there? Answer: three. The model answers short questions like these in a fraction of a second, and it keeps ` +
	`the last few turns of the conversation so that a follow-up such as "what color are they?" can be understood. ` +
	`It doesn't need a network connection: the whole pipeline, from the image to the words, runs on the device ` +
	`itself, which matters for privacy and for places where the connection is slow or missing altogether. ` +
	`The answers come back as text, token by token, as soon as they are ready. 1234!`

func benchmarkEncode(b *testing.B, dir string, cached bool) {
	tok, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	if !cached { // every word merged or segmented from scratch
		nt := *tok
		switch m := tok.model.(type) {
		case *bpeModel:
			c := *m
			c.cache = nil
			nt.model = &c
		case *unigramModel:
			c := *m
			c.cache = nil
			nt.model = &c
		}
		tok = &nt
	}
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.Encode(benchText, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeOPT encodes 1 KB with the real OPT tokenizer, the word
// cache warm after the first round.
func BenchmarkEncodeOPT(b *testing.B) { benchmarkEncode(b, filepath.Join(fixtureReal, "opt"), true) }

// BenchmarkEncodeOPTNoCache is the same with every word merged anew.
func BenchmarkEncodeOPTNoCache(b *testing.B) {
	benchmarkEncode(b, filepath.Join(fixtureReal, "opt"), false)
}

// BenchmarkEncodeT5 encodes the same text with the real T5 Unigram tokenizer.
func BenchmarkEncodeT5(b *testing.B) { benchmarkEncode(b, filepath.Join(fixtureReal, "t5"), true) }

// BenchmarkEncodeT5NoCache segments every word anew.
func BenchmarkEncodeT5NoCache(b *testing.B) {
	benchmarkEncode(b, filepath.Join(fixtureReal, "t5"), false)
}

// BenchmarkLoadOPT parses the 3.5 MB OPT tokenizer.json.
func BenchmarkLoadOPT(b *testing.B) {
	for b.Loop() {
		if _, err := Load(filepath.Join(fixtureReal, "opt")); err != nil {
			b.Fatal(err)
		}
	}
}
