// Package runtime holds how models run: the tensor type, the backend interface that
// model code is written against, generation (greedy, beam, sampling) and chat sessions.
//
// Its room in docs/architecture.md: tensor runtime: imports only runtime/internal/tensorcore (and may import runtime/kernels).
package runtime

import "github.com/edgevlm/edge/runtime/internal/tensorcore"

// Tensor is a dense row-major float32 tensor whose values belong to a backend: host
// memory for the CPU backend, device memory for CUDA. Model code sees its Shape and
// makes views (RowsView, Reshape); values go in and out only through the backend
// (Backend.FromHost, Backend.Host), so a forward pass never copies activations between
// host and device behind the model's back. The last dimension is the features,
// everything before it rows.
type Tensor = tensorcore.Tensor
