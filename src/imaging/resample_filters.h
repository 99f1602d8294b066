// Separable resampling weights, shared by the 8-bit image resizer (Pillow's algorithm) and the
// float tensor resizer (Pillow's and PyTorch's interpolate semantics).
#pragma once
#include <vector>

namespace fluxgen::imaging {

enum class Filter { Nearest, Bilinear, Bicubic, Lanczos };

// For every output index along one axis: the first input index and the weights of the
// consecutive input indices that contribute.
struct AxisWeights {
  int taps = 0;               // weights per output index (some trailing ones may be 0)
  std::vector<int> first;     // [out]
  std::vector<int> count;     // [out] used taps
  std::vector<double> weight; // [out * taps]
};

// Pillow's precompute_coeffs (Resample.c): the source interval [in0, in1) of an axis of `in_size`
// pixels mapped onto `out_size` pixels; when shrinking, the filter is stretched by the scale
// (support · scale), which is what makes Pillow's downsampling antialiased. Normalised to sum 1.
// Also PyTorch's interpolate(..., antialias=True) for bilinear/bicubic (the same algorithm).
// Filter::Nearest is not a convolution and is refused here.
AxisWeights pil_axis_weights(int in_size, double in0, double in1, int out_size, Filter filter);

// PyTorch's interpolate without antialiasing, align_corners=False: bilinear (2 taps, source
// coordinate clamped at 0) and bicubic (4 taps, A = -0.75, indices clamped to the border).
AxisWeights torch_axis_weights(int in_size, int out_size, Filter filter);

// Pillow's filter kernels (support 1 for bilinear, 2 for bicubic a = -0.5, 3 for Lanczos).
double pil_filter(Filter filter, double x);
double pil_filter_support(Filter filter);

}  // namespace fluxgen::imaging
