package hfconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
)

type rawGeneration struct {
	tokenIDs
	MaxLength         *int            `json:"max_length"`
	MaxNewTokens      *int            `json:"max_new_tokens"`
	MinNewTokens      *int            `json:"min_new_tokens"`
	NumBeams          *int            `json:"num_beams"`
	TopK              *int            `json:"top_k"`
	DoSample          *bool           `json:"do_sample"`
	Temperature       *float64        `json:"temperature"`
	TopP              *float64        `json:"top_p"`
	RepetitionPenalty *float64        `json:"repetition_penalty"`
	LengthPenalty     *float64        `json:"length_penalty"`
	EarlyStopping     json.RawMessage `json:"early_stopping"`
}

// parseGeneration applies transformers' GenerationConfig defaults; token ids
// the file does not set come from the language model's config.
func parseGeneration(b []byte, text TextConfig) (GenerationConfig, error) {
	var r rawGeneration
	if b != nil {
		if err := json.Unmarshal(b, &r); err != nil {
			return GenerationConfig{}, err
		}
	}
	g := GenerationConfig{
		BosTokenID:          or(r.BosTokenID, text.BosTokenID),
		PadTokenID:          or(r.PadTokenID, text.PadTokenID),
		DecoderStartTokenID: or(r.DecoderStartTokenID, text.DecoderStartTokenID),
		EosTokenIDs:         append([]int(nil), text.EosTokenIDs...),
		MaxLength:           or(r.MaxLength, 20),
		MaxNewTokens:        or(r.MaxNewTokens, 0),
		MinNewTokens:        or(r.MinNewTokens, 0),
		NumBeams:            or(r.NumBeams, 1),
		TopK:                or(r.TopK, 50),
		DoSample:            or(r.DoSample, false),
		Temperature:         or(r.Temperature, 1.0),
		TopP:                or(r.TopP, 1.0),
		RepetitionPenalty:   or(r.RepetitionPenalty, 1.0),
		LengthPenalty:       or(r.LengthPenalty, 1.0),
		EarlyStopping:       "false",
	}
	if r.EosTokenID != nil {
		g.EosTokenIDs = append([]int(nil), r.EosTokenID...)
	}
	// A field written as null means "unset" in transformers, like an absent one.
	if es := bytes.TrimSpace(r.EarlyStopping); len(es) > 0 && !bytes.Equal(es, []byte("null")) {
		switch string(es) {
		case "true", "false":
			g.EarlyStopping = string(es)
		case `"never"`:
			g.EarlyStopping = "never"
		default:
			return g, fmt.Errorf("early_stopping %s: want true, false or \"never\"", es)
		}
	}
	return g, nil
}
