#include "imaging/draw.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace fluxgen::imaging {

namespace {

// Pillow's (int) cast of a coordinate, kept in range so a hostile value cannot overflow.
int64_t truncate(double v) {
  check(std::isfinite(v), "rectangle: coordinate ", v, " is not finite");
  return static_cast<int64_t>(std::clamp(v, -1e12, 1e12));
}

void fill_span(Image& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const std::vector<uint8_t>& color) {
  check(color.size() == 1 || color.size() == static_cast<size_t>(image.channels), "rectangle: ", color.size(),
        " colour values for an image of ", image.channels, " channels");
  x0 = std::max<int64_t>(x0, 0), y0 = std::max<int64_t>(y0, 0);
  x1 = std::min<int64_t>(x1, image.width - 1), y1 = std::min<int64_t>(y1, image.height - 1);
  for (int64_t y = y0; y <= y1; ++y)
    for (int64_t x = x0; x <= x1; ++x) {
      uint8_t* p = image.pixel(static_cast<int>(x), static_cast<int>(y));
      for (int c = 0; c < image.channels; ++c) p[c] = color.size() == 1 ? color[0] : color[static_cast<size_t>(c)];
    }
}

}  // namespace

void fill_rectangle(Image& image, double x0, double y0, double x1, double y1, const std::vector<uint8_t>& color) {
  check(x1 >= x0, "rectangle: x1 (", x1, ") must be greater than or equal to x0 (", x0, ")");
  check(y1 >= y0, "rectangle: y1 (", y1, ") must be greater than or equal to y0 (", y0, ")");
  fill_span(image, truncate(x0), truncate(y0), truncate(x1), truncate(y1), color);
}

void outline_rectangle(Image& image, double x0, double y0, double x1, double y1, const std::vector<uint8_t>& color,
                       int width) {
  check(x1 >= x0 && y1 >= y0, "rectangle: corners out of order");
  check(width >= 1, "rectangle: outline width must be positive");
  const int64_t X0 = truncate(x0), Y0 = truncate(y0), X1 = truncate(x1), Y1 = truncate(y1);
  for (int64_t i = 0; i < width && X0 + i <= X1 - i && Y0 + i <= Y1 - i; ++i) {
    fill_span(image, X0 + i, Y0 + i, X1 - i, Y0 + i, color);
    fill_span(image, X0 + i, Y1 - i, X1 - i, Y1 - i, color);
    fill_span(image, X0 + i, Y0 + i, X0 + i, Y1 - i, color);
    fill_span(image, X1 - i, Y0 + i, X1 - i, Y1 - i, color);
  }
}

}  // namespace fluxgen::imaging
