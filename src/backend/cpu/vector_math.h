// The CPU backend's transcendental loops (exp, SiLU, tanh-GELU, softmax rows), written so the
// compiler vectorises them, and compiled for AVX-512, AVX2 and the baseline with the right one
// chosen at run time (GCC's target_clones): libm's scalar expf/tanhf were a seventh of a FLUX step.
// exp is 2^n · p(r) with a Cody-Waite reduction and a degree-7 polynomial: relative error under
// 3e-7 over the float range, which the fixtures' 1e-4 (relative L2) tolerances do not notice.
#pragma once
#include <cstdint>

namespace fluxgen::cpu {

void exp_inplace(float* x, int64_t n);
void silu(const float* x, float* y, int64_t n);
void gelu_tanh(const float* x, float* y, int64_t n);
void sigmoid(const float* x, float* y, int64_t n);
void tanh(const float* x, float* y, int64_t n);
// row[i] = exp(row[i]·scale + bias[i] − max) / Σ over the first `valid` entries, 0 after them;
// bias may be null. The sum accumulates in double (rows of thousands of keys).
void softmax_row(float* row, const float* bias, int64_t valid, int64_t n, float scale);

}  // namespace fluxgen::cpu
