package kernels

// Peak-throughput loops: independent multiply-add chains on registers only, so that
// nothing but the arithmetic units limits them. edge bench uses them to state what
// the cores can do at most, beside what the model gets.

// PeakF32 runs iters iterations of the widest fp32 FMA loop this CPU has and
// returns the floating-point operations done (2 per multiply-add). It returns 0
// when no such loop exists here (the portable build).
func PeakF32(iters int) int64 {
	if iters <= 0 {
		return 0
	}
	per, _, _ := peakF32Loop(active.isa, iters)
	return int64(per) * int64(iters)
}

// PeakI8 is PeakF32 for int8 dot products (AVX-512 VNNI: 4 multiply-adds per int32
// lane per instruction); 0 where this CPU has no int8 dot-product loop.
func PeakI8(iters int) int64 {
	if iters <= 0 {
		return 0
	}
	per, _, _ := peakI8Loop(active.isa, iters)
	return int64(per) * int64(iters)
}
