// Image similarity as the usual definitions have it, for benchmarks and reports: PSNR and SSIM on
// luminance (scikit-image's rgb2gray weights, Y = 0.2125 R + 0.7154 G + 0.0721 B), data range 1.
// SSIM is Wang et al. 2004 with an 11x11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03, population
// statistics, borders reflected for the filter and the 5-pixel edge left out of the mean: what
// skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=1) computes.
#pragma once
#include "tensor/tensor.h"

namespace fluxgen {

// a, b: host [1, 3, H, W] (or [3, H, W]) RGB in [0, 1]. PSNR is +inf for identical images.
double psnr_luma(const Tensor& a, const Tensor& b);
double ssim_luma(const Tensor& a, const Tensor& b);

}  // namespace fluxgen
