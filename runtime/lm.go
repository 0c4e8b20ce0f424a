package runtime

// LanguageModel is the text half of BLIP-2 (OPT or T5) as generation sees it.
type LanguageModel interface {
	// Embed returns the input embeddings of ids, [len(ids), EmbedDim].
	Embed(ids []int) (*Tensor, error)
	// Start runs the input embeddings (image prefix, then the prompt) and returns the
	// state ready for the first generated token, with room reserved for maxNew tokens
	// so that decoding them does not allocate. With allLogits it also returns the
	// logits of every position the model scores ([L, vocab] for a decoder-only model,
	// [1, vocab] for the first decoder step of an encoder-decoder).
	Start(embeds *Tensor, maxNew int, allLogits bool) (Sequence, *Tensor, error)
	VocabSize() int
	// ContextLength is the most tokens the model attends over (prompt and generated).
	ContextLength() int
}

// Sequence is one decoding hypothesis: the model's state after the tokens fed so far.
type Sequence interface {
	// Logits are the scores of the next token, [1, vocab] on Backend(), valid until the
	// next Feed.
	Logits() *Tensor
	// Feed appends one token and computes the next logits.
	Feed(token int) error
	// Clone forks the hypothesis (beam search).
	Clone() Sequence
	// Len is the number of positions in the model's context.
	Len() int
	// Backend is where the sequence's tensors live.
	Backend() Backend
}
