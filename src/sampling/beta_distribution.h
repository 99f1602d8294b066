// The beta distribution's CDF and quantile function (scipy.stats.beta.cdf / .ppf), which the
// "Beta" scheduler (arXiv 2407.12173) needs. Double precision, accurate to ~1e-14: every use rounds
// the result to float32.
#pragma once

namespace fluxgen::sampling {

// The regularized incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1].
double regularized_incomplete_beta(double x, double a, double b);
// Its inverse in x: the p-quantile of Beta(a, b), for p in [0, 1] (ppf(0) = 0, ppf(1) = 1).
double beta_ppf(double p, double a, double b);

}  // namespace fluxgen::sampling
