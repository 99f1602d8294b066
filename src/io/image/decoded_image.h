// What an image decoder returns: the pixels plus the metadata A1111-style tools store beside them
// (PNG text chunks, EXIF), so one decode serves img2img inputs and `fluxgen png-info` alike.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "io/image/image.h"

namespace fluxgen {

enum class ImageFormat { PNG, JPEG, WebP };
const char* image_format_name(ImageFormat format);

struct ImageMetadata {
  // PNG tEXt / zTXt / iTXt chunks in file order, keys and text as UTF-8 (tEXt is Latin-1 on disk);
  // a JPEG COM marker appears as key "comment", as Pillow reports it.
  std::vector<std::pair<std::string, std::string>> text;
  // The EXIF block (a TIFF structure, without the "Exif\0\0" prefix JPEG APP1 puts before it); empty
  // when the file has none.
  std::string exif;
};

struct DecodedImage {
  Image image;  // RGB, or RGBA when the file has alpha (an alpha channel or PNG tRNS)
  ImageFormat format = ImageFormat::PNG;
  ImageMetadata metadata;
};

}  // namespace fluxgen
