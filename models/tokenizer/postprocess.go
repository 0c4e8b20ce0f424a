package tokenizer

import (
	"encoding/json"
	"fmt"
)

// encoding collects the ids (and, when asked, the tokens) of one text.
type encoding struct {
	ids        []int
	tokens     []string
	wantTokens bool
}

func (e *encoding) add(id int, tok string) {
	e.ids = append(e.ids, id)
	if e.wantTokens {
		e.tokens = append(e.tokens, tok)
	}
}

// postProcessor adds the special tokens around a single sequence.
type postProcessor interface {
	process(seq encoding) encoding
}

func parsePostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	switch t.Type {
	case "Sequence":
		var j struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("post_processor Sequence: %w", err)
		}
		var seq postProcessorSeq
		for i, r := range j.Processors {
			p, err := parsePostProcessor(r)
			if err != nil {
				return nil, fmt.Errorf("post_processor Sequence[%d]: %w", i, err)
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	case "TemplateProcessing":
		tp, err := parseTemplate(raw)
		if err != nil {
			return nil, fmt.Errorf("post_processor TemplateProcessing: %w", err)
		}
		return tp, nil
	case "RobertaProcessing", "BertProcessing":
		var j struct {
			Sep []json.RawMessage `json:"sep"`
			Cls []json.RawMessage `json:"cls"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("post_processor %s: %w", t.Type, err)
		}
		cls, err := tokenAndID(j.Cls)
		if err != nil {
			return nil, fmt.Errorf("post_processor %s cls: %w", t.Type, err)
		}
		sep, err := tokenAndID(j.Sep)
		if err != nil {
			return nil, fmt.Errorf("post_processor %s sep: %w", t.Type, err)
		}
		return template{cls, {sequence: true}, sep}, nil
	case "ByteLevel":
		return nil, nil // only trims offsets, which we do not report
	}
	return nil, fmt.Errorf("post_processor type %q is not supported", t.Type)
}

type postProcessorSeq []postProcessor

func (q postProcessorSeq) process(seq encoding) encoding {
	for _, p := range q {
		seq = p.process(seq)
	}
	return seq
}

// template is TemplateProcessing's "single" template: special tokens around
// the sequence.
type template []templatePart

type templatePart struct {
	sequence bool // the input sequence goes here
	ids      []int
	tokens   []string
}

func parseTemplate(raw json.RawMessage) (template, error) {
	var j struct {
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs    []int    `json:"ids"`
			Tokens []string `json:"tokens"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	var t template
	for i, item := range j.Single {
		switch {
		case item.Sequence != nil:
			t = append(t, templatePart{sequence: true})
		case item.SpecialToken != nil:
			st, ok := j.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("single[%d]: special token %q is not in special_tokens", i, item.SpecialToken.ID)
			}
			if len(st.IDs) != len(st.Tokens) {
				return nil, fmt.Errorf("special token %q has %d ids and %d tokens", item.SpecialToken.ID, len(st.IDs), len(st.Tokens))
			}
			t = append(t, templatePart{ids: st.IDs, tokens: st.Tokens})
		default:
			return nil, fmt.Errorf("single[%d] is neither Sequence nor SpecialToken", i)
		}
	}
	return t, nil
}

// tokenAndID reads RobertaProcessing's ["</s>", 2].
func tokenAndID(pair []json.RawMessage) (templatePart, error) {
	if len(pair) != 2 {
		return templatePart{}, fmt.Errorf("want [token, id]")
	}
	var tok string
	var id int
	if err := json.Unmarshal(pair[0], &tok); err != nil {
		return templatePart{}, err
	}
	if err := json.Unmarshal(pair[1], &id); err != nil {
		return templatePart{}, err
	}
	return templatePart{ids: []int{id}, tokens: []string{tok}}, nil
}

func (t template) process(seq encoding) encoding {
	out := encoding{wantTokens: seq.wantTokens}
	for _, p := range t {
		if p.sequence {
			out.ids = append(out.ids, seq.ids...)
			out.tokens = append(out.tokens, seq.tokens...)
			continue
		}
		for i, id := range p.ids {
			out.add(id, p.tokens[i])
		}
	}
	return out
}
