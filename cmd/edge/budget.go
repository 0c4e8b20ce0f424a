package main

import (
	"fmt"
	"github.com/edgevlm/edge/models/weights"
	"strings"

	"github.com/edgevlm/edge/board/jetson"
	"github.com/edgevlm/edge/board/memory"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/runtime"
)

// budget is --max-memory, or what this process may take (the cgroup's limit, else the
// memory available now). ok is false where neither is known (no /proc).
func (m *modelFlags) budget() (b memory.Budget, ok bool, err error) {
	if m.maxMemory != "" {
		n, err := memory.ParseSize(m.maxMemory)
		if err != nil {
			return b, false, usagef("--max-memory: %v", err)
		}
		return memory.Budget{Bytes: n, Source: "--max-memory"}, true, nil
	}
	b, err = memory.Detect()
	return b, err == nil, nil
}

// checkBudget refuses, before any weight is read, a model that would not fit the memory
// budget, and says what would: the kernel would otherwise kill the process halfway
// through a load of tens of seconds.
func (m *modelFlags) checkBudget(dir string, int8, int4 bool, dtype weights.DType, be runtime.Backend) error {
	budget, known, err := m.budget()
	if err != nil || !known {
		return err
	}
	ck, err := blip2.Inspect(dir)
	if err != nil || len(ck.Missing) > 0 {
		return nil // Load names what is wrong with the folder
	}
	// The CUDA backend keeps a host copy of the weights beside the device copy, and on a
	// Jetson both are in the one memory.
	board, _ := jetson.Detect("/")
	deviceCopy := be.Name() == "cuda" && board.IsJetson
	opts := blip2.NeedOptions{Int8: int8, DeviceCopy: deviceCopy, DType: dtype}
	if int4 {
		opts.Int4 = blip2.DefaultInt4Group
	}
	need := ck.Need(opts)
	if need.Total() <= budget.Bytes {
		return nil
	}
	quantized := ck.Config.Quantization != nil || ck.DTypes["I8"] > 0
	precision := "fp32"
	switch {
	case int4 || ck.Config.Quantization != nil && ck.Config.Quantization.Bits == 4:
		precision = "int4"
	case int8 || quantized:
		precision = "int8"
	}
	gb := memory.Size
	msg := fmt.Sprintf("model %s needs %s in %s (%s of weights%s, %s to run at context %d), over the memory budget of %s",
		dir, gb(need.Total()), precision, gb(need.Weights), map[bool]string{true: " counted twice: host and GPU copy"}[deviceCopy],
		gb(need.Running()), ck.Context(opts), budget)
	var instead []string
	if !int8 && !int4 && !quantized {
		o := opts
		o.Int8 = true
		if n := ck.Need(o).Total(); n <= budget.Bytes {
			instead = append(instead, fmt.Sprintf("--int8 needs %s, as does an int8 folder from `edge quantize`", gb(n)))
		}
	}
	if !int4 && precision != "int4" {
		o := opts
		o.Int8, o.Int4 = false, blip2.DefaultInt4Group
		if n := ck.Need(o).Total(); n <= budget.Bytes {
			instead = append(instead, fmt.Sprintf("--int4 needs %s, as does a folder from `edge quantize --bits 4`", gb(n)))
		}
	}
	if deviceCopy {
		o := opts
		o.DeviceCopy = false
		if n := ck.Need(o).Total(); n <= budget.Bytes {
			instead = append(instead, fmt.Sprintf("--device cpu needs %s (one copy of the weights; edge cannot yet put only some layers on the GPU)", gb(n)))
		}
	}
	if len(instead) == 0 {
		smallest := ck.Need(blip2.NeedOptions{Int4: blip2.DefaultInt4Group}).Total()
		instead = append(instead, fmt.Sprintf("nothing fits: int4 on the CPU needs %s", gb(smallest)))
	}
	return fmt.Errorf("%s; %s; --max-memory sets another budget", msg, strings.Join(instead, "; "))
}
