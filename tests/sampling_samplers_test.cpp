// Samplers on toy models whose answers are known: hand-computed steps, exact flows to a fixed
// data point, and the Gaussian-data flow whose ODE solution is closed-form (convergence order).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "io/safetensors.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen::sampling {
namespace {

Tensor vec(const std::vector<float>& v) { return Tensor::from_vector({static_cast<int64_t>(v.size())}, v); }

// Elementwise model v = f(x, sigma).
Denoiser pointwise(std::function<double(double x, double sigma)> f) {
  return [f](const Tensor& x, float sigma) {
    std::vector<float> v = to_vector(x);
    for (float& e : v) e = static_cast<float>(f(e, sigma));
    return Tensor::from_vector(x.shape(), v);
  };
}

// The exact velocity toward a fixed data point x0: on the path x = s n + (1 - s) x0,
// v = n - x0 = (x - x0) / s, so D = x - s v = x0 for every x.
Denoiser toward(const std::vector<float>& x0) {
  return [x0](const Tensor& x, float sigma) {
    std::vector<float> v = to_vector(x);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (v[i] - x0[i]) / sigma;
    return Tensor::from_vector(x.shape(), v);
  };
}

// Data x0 ~ N(mu, s^2) per element: the exact posterior mean is linear in x, and the probability
// flow maps x_1 = z to x_0 = mu + s z.
constexpr double kMu = 0.3, kStd = 0.5;
Denoiser gaussian_data() {
  return pointwise([](double x, double sigma) {
    const double a = 1 - sigma;
    const double var = a * a * kStd * kStd + sigma * sigma;
    const double d = kMu + a * kStd * kStd / var * (x - a * kMu);
    return (x - d) / sigma;
  });
}

std::vector<float> linear_sigmas(int n) {
  std::vector<float> s;
  for (int k = 0; k <= n; ++k) s.push_back(static_cast<float>(1.0 - double(k) / n));
  return s;
}

// Constant noise for ancestral steps, counting the calls.
struct FixedNoise {
  std::vector<float> values;
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  NoiseFn fn() const {
    return [v = values, c = calls](const Shape& shape) {
      ++*c;
      EXPECT_EQ(shape_numel(shape), static_cast<int64_t>(v.size()));
      return Tensor::from_vector(shape, v);
    };
  }
};

const std::vector<float> kStart = {-1.5f, -0.3f, 0.4f, 2.0f};

double gaussian_error(Sampler s, int steps) {
  SamplerInputs in;
  in.denoiser = gaussian_data();
  in.sigmas = linear_sigmas(steps);
  in.latent = vec(kStart);
  in.eta = 0.0f;  // deterministic (ancestral samplers reduce to their ODE step)
  const auto out = to_vector(run_sampler(s, in).latent);
  double err = 0;
  for (size_t i = 0; i < out.size(); ++i) err = std::max(err, std::fabs(out[i] - (kMu + kStd * kStart[i])));
  return err;
}

TEST(SamplingSamplers, EulerMatchesHandComputedSteps) {
  // v = x + sigma, sigmas 1 -> 0.5 -> 0 from x = 1:
  //   step 1: v = 2,   x = 1 + (0.5 - 1) * 2 = 0
  //   step 2: v = 0.5, x = 0 + (0 - 0.5) * 0.5 = -0.25
  // and from x = -2: v = -1, x = -1.5; v = -1, x = -1.
  SamplerInputs in;
  in.denoiser = pointwise([](double x, double s) { return x + s; });
  in.sigmas = {1.0f, 0.5f, 0.0f};
  in.latent = vec({1.0f, -2.0f});
  const auto r = run_sampler("Euler", in);
  EXPECT_EQ(to_vector(r.latent), (std::vector<float>{-0.25f, -1.0f}));
  EXPECT_EQ(r.steps_done, 2);
  EXPECT_FALSE(r.interrupted);
}

TEST(SamplingSamplers, BflScheduleOfTheFluxFixture) {
  // flux_io's out.schedule is get_schedule(4, L) for a 64x96 image: L = 4 * 6 tokens.
  const auto file = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  const auto ref = to_vector(file->get("out.schedule"));
  const auto got = make_schedule("BFL", 4, 24);
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-6) << i;
}

TEST(SamplingSamplers, EveryDeterministicPathLandsOnTheData) {
  const std::vector<float> x0 = {0.25f, -0.75f, 1.5f, 0.0f};
  const std::vector<float> n = {1.0f, -0.5f, 0.3f, -2.0f};
  const std::vector<float> sigmas = make_schedule("Simple", 8, 4096);
  for (Sampler s : {Sampler::Euler, Sampler::EulerAncestralRF, Sampler::DpmPp2SAncestralRF, Sampler::DpmPp2M}) {
    SamplerInputs in;
    in.denoiser = toward(x0);
    in.sigmas = sigmas;
    in.latent = vec(n);  // sigma 1: pure noise
    in.eta = 0.0f;
    int calls = 0;
    in.on_step = [&](const SamplerStep& st) {
      // Every deterministic sampler stays on the straight path x = sigma n + (1 - sigma) x0.
      const auto x = to_vector(*st.x);
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_NEAR(x[i], st.sigma * n[i] + (1 - st.sigma) * x0[i], 2e-6) << sampler_name(s) << " step " << st.index;
      EXPECT_EQ(to_vector(*st.denoised).size(), x0.size());
      EXPECT_EQ(st.total, 8);
      EXPECT_EQ(st.index, calls++);
      return true;
    };
    const auto out = to_vector(run_sampler(s, in).latent);
    EXPECT_EQ(calls, 8) << sampler_name(s);
    for (size_t i = 0; i < x0.size(); ++i) EXPECT_NEAR(out[i], x0[i], 2e-6) << sampler_name(s);
  }
}

TEST(SamplingSamplers, AncestralSamplersLandOnTheDataWhateverTheNoise) {
  const std::vector<float> x0 = {0.25f, -0.75f, 1.5f, 0.0f};
  for (Sampler s : {Sampler::EulerAncestralRF, Sampler::DpmPp2SAncestralRF}) {
    FixedNoise noise{{3.0f, -1.0f, 0.5f, 2.0f}};
    SamplerInputs in;
    in.denoiser = toward(x0);
    in.sigmas = make_schedule("Simple", 6, 4096);
    in.latent = vec({1.0f, -0.5f, 0.3f, -2.0f});
    in.noise = noise.fn();
    const auto out = to_vector(run_sampler(s, in).latent);
    for (size_t i = 0; i < x0.size(); ++i) EXPECT_NEAR(out[i], x0[i], 1e-6) << sampler_name(s);
    EXPECT_EQ(*noise.calls, 5) << sampler_name(s);  // no noise after the last step
  }
}

TEST(SamplingSamplers, EulerAncestralMatchesTheReferenceFormula) {
  // REFERENCE.md, per step with D = x - sigma v, eta = 1:
  //   sd = s1 (1 + (s1/s0 - 1)); a1 = 1 - s1; ad = 1 - sd
  //   x = (sd/s0) x + (1 - sd/s0) D;  x = (a1/ad) x + sqrt(s1^2 - sd^2 a1^2/ad^2) eps
  auto model = [](double x, double s) { return 0.7 * x - 0.2 + s; };
  const std::vector<double> sig = {1.0, 0.6, 0.25, 0.0};
  const double eps[] = {0.8, -1.3};
  double x = 0.9;
  for (int i = 0; i < 3; ++i) {
    const double s0 = sig[i], s1 = sig[i + 1], d = x - s0 * model(x, s0);
    if (s1 == 0) {
      x = d;
      break;
    }
    const double sd = s1 * (1 + (s1 / s0 - 1)), a1 = 1 - s1, ad = 1 - sd;
    x = (sd / s0) * x + (1 - sd / s0) * d;
    x = (a1 / ad) * x + std::sqrt(s1 * s1 - sd * sd * a1 * a1 / (ad * ad)) * eps[i];
  }
  int call = 0;
  SamplerInputs in;
  in.denoiser = pointwise(model);
  in.sigmas = {1.0f, 0.6f, 0.25f, 0.0f};
  in.latent = vec({0.9f});
  in.noise = [&](const Shape& shape) { return Tensor::full(shape, static_cast<float>(eps[call++])); };
  EXPECT_NEAR(to_vector(run_sampler("[Forge] Flux Realistic", in).latent)[0], x, 2e-6);
  EXPECT_EQ(call, 2);
}

TEST(SamplingSamplers, DpmPp2SAncestralMatchesTheReferenceFormula) {
  // REFERENCE.md: lambda(s) = ln((1-s)/s), sigma(l) = 1/(1+e^l); midpoint s_m = sigma((l_i +
  // l_down)/2), 0.9999 when s_i = 1; u = (s_m/s) x + (1 - s_m/s) D; x = (sd/s) x + (1 - sd/s) D(u,
  // s_m), then the Euler-a re-noise; the last step goes to D.
  auto model = [](double x, double s) { return -0.4 * x + 0.5 * s * s + 0.1; };
  auto denoise = [&](double x, double s) { return x - s * model(x, s); };
  auto lambda = [](double s) { return std::log((1 - s) / s); };
  const std::vector<double> sig = {1.0, 0.7, 0.3, 0.0};
  const double eps[] = {-0.6, 1.1};
  double x = -0.4;
  int model_calls = 0;
  for (int i = 0; i < 3; ++i) {
    const double s0 = sig[i], s1 = sig[i + 1], d = denoise(x, s0);
    ++model_calls;
    if (s1 == 0) {
      x = d;
      break;
    }
    const double sd = s1 * s1 / s0, a1 = 1 - s1, ad = 1 - sd;
    const double sm = s0 == 1 ? 0.9999 : 1 / (1 + std::exp(0.5 * (lambda(s0) + lambda(sd))));
    const double u = (sm / s0) * x + (1 - sm / s0) * d;
    const double d2 = denoise(u, sm);
    ++model_calls;
    x = (sd / s0) * x + (1 - sd / s0) * d2;
    x = (a1 / ad) * x + std::sqrt(s1 * s1 - sd * sd * a1 * a1 / (ad * ad)) * eps[i];
  }
  int call = 0, calls_seen = 0;
  SamplerInputs in;
  in.denoiser = [&](const Tensor& t, float s) {
    ++calls_seen;
    return pointwise(model)(t, s);
  };
  in.sigmas = {1.0f, 0.7f, 0.3f, 0.0f};
  in.latent = vec({-0.4f});
  in.noise = [&](const Shape& shape) { return Tensor::full(shape, static_cast<float>(eps[call++])); };
  EXPECT_NEAR(to_vector(run_sampler("[Forge] Flux Realistic (2x Slow)", in).latent)[0], x, 2e-6);
  EXPECT_EQ(calls_seen, model_calls);
  EXPECT_EQ(calls_seen, 5);  // two per step, one on the last
}

TEST(SamplingSamplers, AncestralRenoiseKeepsTheFlowMarginal) {
  // From pure noise with data 0, one RF ancestral step leaves x = sigma_next * (unit noise): the
  // deterministic part (a1/ad) sd n and the fresh noise combine to variance sigma_next^2.
  const int n = 200000;
  const auto start = torch_randn_cpu(11, n);
  for (Sampler s : {Sampler::EulerAncestralRF, Sampler::DpmPp2SAncestralRF}) {
    SamplerInputs in;
    in.denoiser = toward(std::vector<float>(n, 0.0f));
    in.sigmas = {1.0f, 0.6f};
    in.latent = Tensor::from_vector({n}, start);
    in.noise_seed = 99;
    const auto out = to_vector(run_sampler(s, in).latent);
    double sq = 0, cross = 0;
    for (int i = 0; i < n; ++i) {
      sq += double(out[i]) * out[i];
      cross += double(out[i]) * start[i];
    }
    EXPECT_NEAR(std::sqrt(sq / n), 0.6, 0.006) << sampler_name(s);
    // The part of x kept from the start: (a1/ad) * sd = (0.4/0.64) * 0.36 = 0.225.
    EXPECT_NEAR(cross / n, 0.225, 0.006) << sampler_name(s);
  }
}

TEST(SamplingSamplers, SecondOrderSamplersConvergeQuadratically) {
  // Max error against the exact flow endpoint mu + s z at 64 and 128 steps (measured: Euler
  // 0.023 -> 0.0115, DPM++ 2M 0.0031 -> 0.0009, DPM++ 2S 0.0012 -> 0.00033; 2M reaches its
  // asymptotic order late because its log-sigma steps near sigma = 0 stay large).
  const double e1 = gaussian_error(Sampler::Euler, 64), e2 = gaussian_error(Sampler::Euler, 128);
  const double m1 = gaussian_error(Sampler::DpmPp2M, 64), m2 = gaussian_error(Sampler::DpmPp2M, 128);
  const double s1 = gaussian_error(Sampler::DpmPp2SAncestralRF, 64), s2 = gaussian_error(Sampler::DpmPp2SAncestralRF, 128);
  EXPECT_GT(e1 / e2, 1.8);  // first order: 2x
  EXPECT_LT(e1 / e2, 2.2);
  EXPECT_GT(m1 / m2, 3.0);  // second order: 4x
  EXPECT_GT(s1 / s2, 3.0);
  EXPECT_LT(m2, e2 / 8);
  EXPECT_LT(s2, e2 / 8);
  // Euler a with eta = 0 is Euler.
  EXPECT_NEAR(gaussian_error(Sampler::EulerAncestralRF, 64), e1, 1e-5);
}

TEST(SamplingSamplers, DefaultNoiseIsTheSeededTorchCpuStream) {
  SamplerInputs in;
  in.denoiser = pointwise([](double x, double s) { return 0.5 * x - s; });
  in.sigmas = make_schedule("Simple", 4, 4096);
  in.latent = Tensor::from_vector({2, 16}, torch_randn_cpu(3, 32));
  in.noise_seed = 7;
  const auto a = to_vector(run_sampler("Euler a", in).latent);
  in.noise = noise_from(std::make_shared<TorchGenerator>(NoiseSource::Cpu, 7));
  const auto b = to_vector(run_sampler("Euler a", in).latent);
  EXPECT_EQ(a, b);
  in.noise = noise_from(std::make_shared<TorchGenerator>(NoiseSource::Cpu, 8));
  EXPECT_NE(a, to_vector(run_sampler("Euler a", in).latent));
}

TEST(SamplingSamplers, CallbackCanInterrupt) {
  const std::vector<float> x0 = {0.5f, -0.5f};
  SamplerInputs in;
  in.denoiser = pointwise([](double x, double s) { return x - 0.1 * s; });
  in.sigmas = make_schedule("Simple", 6, 4096);
  in.latent = vec({1.0f, 2.0f});
  std::vector<float> seen;
  in.on_step = [&](const SamplerStep& st) {
    EXPECT_EQ(st.sigma, in.sigmas[static_cast<size_t>(st.index)]);
    EXPECT_EQ(st.sigma_next, in.sigmas[static_cast<size_t>(st.index) + 1]);
    seen = to_vector(*st.denoised);
    return st.index < 2;
  };
  for (const char* name : {"Euler", "Euler a", "DPM++ 2M", "[Forge] Flux Realistic (1.25x Slow)"}) {
    const auto r = run_sampler(name, in);
    EXPECT_TRUE(r.interrupted) << name;
    EXPECT_EQ(r.steps_done, 3) << name;
    EXPECT_EQ(to_vector(r.latent), seen) << name;
  }
}

TEST(SamplingSamplers, NoiseLatentForImg2Img) {
  const Tensor latent = vec({1.0f, -1.0f}), noise = vec({0.5f, 2.0f});
  EXPECT_EQ(to_vector(flow_noise_latent(latent, noise, 0.25f)), (std::vector<float>{0.875f, -0.25f}));
  EXPECT_THROW(flow_noise_latent(latent, vec({1.0f}), 0.5f), Error);
  EXPECT_THROW(flow_noise_latent(latent, noise, 1.5f), Error);
}

TEST(SamplingSamplers, NamesAndAliases) {
  EXPECT_EQ(parse_sampler("euler"), Sampler::Euler);
  EXPECT_EQ(parse_sampler("EULER A"), Sampler::EulerAncestralRF);
  EXPECT_EQ(parse_sampler("[forge] flux realistic"), Sampler::EulerAncestralRF);
  EXPECT_EQ(parse_sampler("[Forge] Flux Realistic (2x Slow)"), Sampler::DpmPp2SAncestralRF);
  EXPECT_EQ(parse_sampler("[Forge] Flux Realistic (1.25x Slow)"), Sampler::DpmPp2SAncestralRF);
  EXPECT_EQ(parse_sampler("dpm++ 2m"), Sampler::DpmPp2M);
  EXPECT_EQ(parse_sampler("k_euler_a"), Sampler::EulerAncestralRF);
  EXPECT_EQ(parse_sampler("k_dpmpp_2m"), Sampler::DpmPp2M);
  EXPECT_TRUE(is_ancestral(Sampler::DpmPp2SAncestralRF));
  EXPECT_FALSE(is_ancestral(Sampler::DpmPp2M));
  for (const auto& name : sampler_names()) EXPECT_NO_THROW(parse_sampler(name)) << name;
  try {
    parse_sampler("DPM++ SDE");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("DPM++ SDE"), std::string::npos);
    EXPECT_NE(msg.find("Euler, Euler a, [Forge] Flux Realistic"), std::string::npos) << msg;
  }
}

TEST(SamplingSamplers, InvalidInputsAreRefused) {
  SamplerInputs good;
  good.denoiser = pointwise([](double x, double) { return x; });
  good.sigmas = {1.0f, 0.5f, 0.0f};
  good.latent = vec({1.0f, 2.0f});
  EXPECT_NO_THROW(run_sampler("Euler", good));

  auto expect_error = [&](SamplerInputs in, const std::string& needle, const char* sampler = "Euler") {
    try {
      run_sampler(sampler, in);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  SamplerInputs in = good;
  in.sigmas = {1.0f};
  expect_error(in, "at least 2 sigmas");
  in.sigmas = {0.5f, 0.7f, 0.0f};
  expect_error(in, "decrease strictly");
  in.sigmas = {1.0f, 0.0f, 0.0f};
  expect_error(in, "is 0 before the last step");
  in.sigmas = {1.5f, 0.0f};
  expect_error(in, "outside [0, 1]");
  in.sigmas = {std::nanf(""), 0.0f};
  expect_error(in, "outside [0, 1]");
  in = good;
  in.denoiser = nullptr;
  expect_error(in, "no denoiser");
  in = good;
  in.latent = Tensor();
  expect_error(in, "F32 tensor");
  in = good;
  in.denoiser = [](const Tensor&, float) { return vec({1.0f}); };
  expect_error(in, "denoiser returned F32[1]");
  in = good;
  in.eta = 2.0f;
  expect_error(in, "eta");
  in = good;
  in.noise = [](const Shape&) { return vec({1.0f, 2.0f, 3.0f}); };
  expect_error(in, "noise source returned", "Euler a");
}

}  // namespace
}  // namespace fluxgen::sampling
