// Activations and broadcasting arithmetic on the GPU against the CPU backend.
#include "gpu_check.h"
#include "op_support.h"

namespace fluxgen::gpu_test {
namespace {

GPU_TEST(activations_and_unary_maps) {
  // An odd length: the vectorized body and its scalar tail both run.
  const Tensor x = random({3, 1001}, 500, 3.0f);
  const std::vector<std::pair<Activation, const char*>> acts = {
      {Activation::SiLU, "silu"}, {Activation::GeluTanh, "gelu_tanh"}, {Activation::GeluErf, "gelu"},
      {Activation::QuickGelu, "quick_gelu"}, {Activation::ReLU, "relu"}, {Activation::Tanh, "tanh"},
      {Activation::Sigmoid, "sigmoid"}};
  for (const Mode& m : modes()) {
    use(m);
    const Tensor xd = gpu().upload(x);
    for (const auto& [a, name] : acts) expect_close(name, gpu().activation(xd, a), cpu().activation(x, a), m.tolerance);
    expect_close("leaky_relu", gpu().leaky_relu(xd, 0.2f), cpu().leaky_relu(x, 0.2f), m.tolerance);
    expect_close("affine", gpu().affine(xd, 1.5f, -0.25f), cpu().affine(x, 1.5f, -0.25f), m.tolerance);
    expect_close("clamp", gpu().clamp(xd, -1.0f, 0.5f), cpu().clamp(x, -1.0f, 0.5f), m.tolerance);
    const Tensor y = random({2, 5, 3, 4}, 501), slopes = random({5}, 502), one = random({1}, 503);
    expect_close("prelu per channel", gpu().prelu(gpu().upload(y), slopes), cpu().prelu(y, slopes), m.tolerance);
    expect_close("prelu shared", gpu().prelu(gpu().upload(y), one), cpu().prelu(y, one), m.tolerance);
  }
}

GPU_TEST(binary_broadcasting) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{4, 333}, {4, 333}}, {{2, 5, 7}, {5, 1}}, {{2, 5, 7}, {1}}, {{2, 5, 7}, {2, 1, 7}},
      {{1, 4096, 64}, {1, 1, 64}}, {{3, 1, 6}, {1, 4, 1}}, {{6}, {2, 3, 6}}};
  const std::vector<std::pair<Binary, const char*>> ops = {
      {Binary::Add, "add"}, {Binary::Sub, "sub"}, {Binary::Mul, "mul"}, {Binary::Div, "div"}};
  uint64_t seed = 510;
  for (const auto& [sa, sb] : cases) {
    const Tensor a = random(sa, ++seed), b = random(sb, ++seed);
    const Tensor b_safe = cpu().affine(cpu().clamp(b, -0.5f, 0.5f), 1.0f, 2.0f);  // divisors away from zero
    for (const Mode& m : modes()) {
      use(m);
      for (const auto& [op, name] : ops) {
        const Tensor& rhs = op == Binary::Div ? b_safe : b;
        expect_close(std::string(name) + " " + std::to_string(sa.size()) + "-D with " + std::to_string(sb.size()) + "-D",
                     gpu().binary(gpu().upload(a), gpu().upload(rhs), op), cpu().binary(a, rhs, op), m.tolerance);
      }
    }
  }
  use(modes()[1]);
  CHECK_THROWS(gpu().binary(gpu().upload(random({2, 3}, 1)), gpu().upload(random({4}, 2)), Binary::Add));
}

}  // namespace
}  // namespace fluxgen::gpu_test
