// Scalar float log and sincos that give bit-for-bit the values of PyTorch's AVX2 normal sampler.
//
// torch.randn on an x86 CPU (tensors of >= 16 floats) runs Box-Muller through
// aten/src/ATen/native/cpu/avx_mathfun.h: Julien Pommier's Cephes-polynomial log256_ps and
// sincos256_ps. Official PyTorch wheels are built by GCC with -mfma, and GCC contracts each
// multiply that feeds an add into one fused multiply-add. These functions evaluate the same
// polynomials with the same contractions (std::fma where GCC fuses, separately rounded steps
// elsewhere), one lane at a time, so the noise matches torch's to the last bit (verified against
// tests/fixtures/torch_randn.safetensors). They are not general-purpose math: the log is only
// valid for normal positive inputs, the sincos for |x| < 8192.
#pragma once

namespace fluxgen::sampling {

// Natural log of x > 0 (x in (0, 1] in the sampler).
float cephes_logf(float x);
// sin(x) and cos(x).
void cephes_sincosf(float x, float* sin_out, float* cos_out);

}  // namespace fluxgen::sampling
