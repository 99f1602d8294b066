#include "sampling/beta_distribution.h"

#include <cmath>
#include <limits>

#include "util/error.h"

namespace fluxgen::sampling {
namespace {

// The continued fraction of I_x(a, b) (its standard expansion, coefficients d_1, d_2, ...),
// evaluated with the modified Lentz method. Converges quickly for x < (a + 1) / (a + b + 2).
double incomplete_beta_fraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double f = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    // Even term d_{2m}.
    double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    f *= d * c;
    // Odd term d_{2m+1}.
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    f *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return f;
}

}  // namespace

double regularized_incomplete_beta(double x, double a, double b) {
  check(a > 0 && b > 0 && std::isfinite(a) && std::isfinite(b), "incomplete beta: parameters must be positive, got a=",
        a, " b=", b);
  check(x >= 0 && x <= 1, "incomplete beta: x must be in [0, 1], got ", x);
  if (x == 0.0 || x == 1.0) return x;
  // x^a (1-x)^b / (a B(a, b)), in logs.
  const double log_front = a * std::log(x) + b * std::log1p(-x) + std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b);
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * incomplete_beta_fraction(x, a, b) / a;
  // The symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps the fraction in its fast region.
  return 1.0 - std::exp(log_front) * incomplete_beta_fraction(1.0 - x, b, a) / b;
}

double beta_ppf(double p, double a, double b) {
  check(p >= 0 && p <= 1, "beta quantile: probability must be in [0, 1], got ", p);
  if (p == 0.0 || p == 1.0) return p;
  // The CDF is continuous and strictly increasing on [0, 1]: bisect until the bracket cannot
  // shrink any further in double precision.
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 2000; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (regularized_incomplete_beta(mid, a, b) < p)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace fluxgen::sampling
