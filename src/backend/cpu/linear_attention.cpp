// CpuBackend: linear layers, attention and rotary embeddings.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/vector_math.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace cpu {
Tensor as_f32(const Tensor& t, const char* op) {
  check(t.defined(), op, ": undefined tensor");
  check(t.device() == Device::CPU, op, ": tensor is not on the host");
  return to_f32(t);
}
}  // namespace cpu

Tensor CpuBackend::upload(const Tensor& host) { return cpu::as_f32(host, "upload"); }
Tensor CpuBackend::upload_weight(const Tensor& host) {
  check(host.defined() && host.device() == Device::CPU, "upload_weight: tensor is not on the host");
  return host;
}
Tensor CpuBackend::download(const Tensor& t) { return cpu::as_f32(t, "download"); }

Tensor CpuBackend::dequantize(const Tensor& weight) { return cpu::as_f32(weight, "dequantize"); }

Tensor CpuBackend::linear(const Tensor& x_in, const Tensor& weight, const Tensor* bias) {
  const Tensor x = cpu::as_f32(x_in, "linear");
  check(weight.ndim() == 2, "linear: weight must be 2-D, got ", weight.describe());
  const int64_t N = weight.dim(0), K = weight.dim(1);
  check(x.ndim() >= 1 && x.dim(-1) == K, "linear: input ", x.describe(), " does not match weight ", weight.describe());
  const int64_t M = x.numel() / K;
  Shape out_shape = x.shape();
  out_shape.back() = N;
  Tensor y = Tensor::empty(out_shape);
  cpu::gemm_weight_nt(M, x.f32(), weight, y.f32());
  if (bias) {
    check(bias->numel() == N, "linear: bias ", bias->describe(), " does not match ", N, " outputs");
    const Tensor b = cpu::as_f32(*bias, "linear bias");
    const float* bp = b.f32();
    float* yp = y.f32();
#pragma omp parallel for schedule(static) if (M * N > 65536)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) yp[m * N + n] += bp[n];
  }
  return y;
}

Tensor CpuBackend::attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const Tensor* bias_in,
                             bool causal, float scale) {
  const Tensor q = cpu::as_f32(q_in, "attention"), k = cpu::as_f32(k_in, "attention"), v = cpu::as_f32(v_in, "attention");
  check(q.ndim() == 4 && k.ndim() == 4 && v.ndim() == 4, "attention: q, k, v must be [B, H, L, D]");
  const int64_t B = q.dim(0), H = q.dim(1), Lq = q.dim(2), D = q.dim(3);
  const int64_t Lk = k.dim(2), Dv = v.dim(3);
  check(k.dim(0) == B && v.dim(0) == B && k.dim(1) == H && v.dim(1) == H && k.dim(3) == D && v.dim(2) == Lk,
        "attention: shapes q ", q.describe(), " k ", k.describe(), " v ", v.describe(), " disagree");
  if (scale <= 0.0f) scale = 1.0f / std::sqrt(static_cast<float>(D));
  Tensor bias;
  int64_t bias_bs = 0, bias_hs = 0;
  if (bias_in) {
    bias = cpu::as_f32(*bias_in, "attention bias");
    check(bias.ndim() == 4 && (bias.dim(0) == B || bias.dim(0) == 1) && (bias.dim(1) == H || bias.dim(1) == 1) &&
              bias.dim(2) == Lq && bias.dim(3) == Lk,
          "attention: bias ", bias.describe(), " does not broadcast to [", B, ", ", H, ", ", Lq, ", ", Lk, "]");
    bias_bs = bias.dim(0) == 1 ? 0 : bias.dim(1) * Lq * Lk;
    bias_hs = bias.dim(1) == 1 ? 0 : Lq * Lk;
  }
  Tensor out = Tensor::empty({B, H, Lq, Dv});
  // Queries in blocks so the score matrix stays small whatever the sequence length.
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(Lq, (int64_t(4) << 20) / std::max<int64_t>(Lk, 1)));
  const int64_t heads = B * H;
  // One head per thread when there are enough heads: each thread's two GEMMs run single-threaded
  // inside the parallel loop (oneDNN sees it is nested) and the softmax needs no barrier; with
  // fewer heads than threads the GEMMs thread themselves instead.
  const bool across_heads = heads >= cpu::thread_count() && heads > 1;
  auto one_head = [&](int64_t bh, std::vector<float>& scores, bool parallel_rows) {
    const int64_t b = bh / H, h = bh % H;
    const float* qp = q.f32() + bh * Lq * D;
    const float* kp = k.f32() + bh * Lk * D;
    const float* vp = v.f32() + bh * Lk * Dv;
    float* op = out.f32() + bh * Lq * Dv;
    for (int64_t q0 = 0; q0 < Lq; q0 += block) {
      const int64_t nq = std::min(block, Lq - q0);
      cpu::gemm_nt(nq, Lk, D, qp + q0 * D, D, kp, D, scores.data(), Lk, false);
      const float* bp = bias_in ? bias.f32() + b * bias_bs + h * bias_hs + q0 * Lk : nullptr;
#pragma omp parallel for schedule(static) if (parallel_rows && nq * Lk > 16384)
      for (int64_t i = 0; i < nq; ++i) {
        const int64_t valid = causal ? std::min(Lk, q0 + i + 1) : Lk;
        cpu::softmax_row(scores.data() + i * Lk, bp ? bp + i * Lk : nullptr, valid, Lk, scale);
      }
      cpu::gemm_nn(nq, Dv, Lk, scores.data(), Lk, vp, Dv, op + q0 * Dv, Dv, false);
    }
  };
  if (across_heads) {
#pragma omp parallel
    {
      std::vector<float> scores(static_cast<size_t>(block * Lk));
#pragma omp for schedule(dynamic)
      for (int64_t bh = 0; bh < heads; ++bh) one_head(bh, scores, false);
    }
  } else {
    std::vector<float> scores(static_cast<size_t>(block * Lk));
    for (int64_t bh = 0; bh < heads; ++bh) one_head(bh, scores, true);
  }
  return out;
}

Tensor CpuBackend::rope(const Tensor& x_in, const Tensor& cos_in, const Tensor& sin_in) {
  const Tensor x = cpu::as_f32(x_in, "rope");
  const Tensor c = cpu::as_f32(cos_in, "rope"), s = cpu::as_f32(sin_in, "rope");
  check(x.ndim() == 4 && x.dim(3) % 2 == 0, "rope: x must be [B, H, L, D] with even D, got ", x.describe());
  const int64_t B = x.dim(0), H = x.dim(1), L = x.dim(2), half = x.dim(3) / 2;
  check(c.numel() == s.numel() && (c.numel() == L * half || c.numel() == B * L * half),
        "rope: cos/sin ", c.describe(), " do not match ", x.describe());
  const bool per_batch = c.numel() == B * L * half && B > 1;
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* op = out.f32();
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > 65536)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      const float* cb = c.f32() + (per_batch ? b * L * half : 0);
      const float* sb = s.f32() + (per_batch ? b * L * half : 0);
      for (int64_t l = 0; l < L; ++l) {
        const int64_t base = ((b * H + h) * L + l) * half * 2;
        for (int64_t i = 0; i < half; ++i) {
          const float x0 = xp[base + 2 * i], x1 = xp[base + 2 * i + 1];
          const float cv = cb[l * half + i], sv = sb[l * half + i];
          op[base + 2 * i] = cv * x0 - sv * x1;
          op[base + 2 * i + 1] = sv * x0 + cv * x1;
        }
      }
    }
  }
  return out;
}

}  // namespace fluxgen
