#include "io/image/jpeg_codec.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "util/error.h"
#include "util/utf8.h"

#if defined(FLUXGEN_WITH_JPEG)
#include <jpeglib.h>
// After jpeglib.h: the message codes (JWRN_JPEG_EOF).
#include <jerror.h>
#endif

namespace fluxgen {

bool jpeg_decoding_available() {
#if defined(FLUXGEN_WITH_JPEG)
  return true;
#else
  return false;
#endif
}

#if defined(FLUXGEN_WITH_JPEG)
namespace {

// libjpeg's error_exit must not return: it formats the message and longjmps to the setjmp of the
// step that was running. The steps hold no object with a destructor; the caller owns everything.
struct JpegErrors {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_on_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings about damaged data are ignored (libjpeg recovers), except running out of data: a
// truncated file is an error, as Pillow reports it.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
    std::snprintf(e->message, sizeof e->message, "the file is truncated");
    std::longjmp(e->jump, 1);
  }
}

struct JpegReader {
  jpeg_decompress_struct cinfo{};
  JpegErrors errors{};
  bool created = false;
  ~JpegReader() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

bool jpeg_read_header_step(JpegReader& r, const uint8_t* data, size_t size) {
  if (setjmp(r.errors.jump)) return false;
  jpeg_create_decompress(&r.cinfo);
  r.created = true;
  // libjpeg-turbo takes a const pointer, older libjpeg a mutable one; it never writes.
  jpeg_mem_src(&r.cinfo, const_cast<unsigned char*>(data), static_cast<unsigned long>(size));
  jpeg_save_markers(&r.cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_save_markers(&r.cinfo, JPEG_COM, 0xFFFF);
  jpeg_read_header(&r.cinfo, TRUE);
  return true;
}

bool jpeg_read_pixels_step(JpegReader& r, uint8_t* pixels, size_t stride) {
  if (setjmp(r.errors.jump)) return false;
  r.cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&r.cinfo);
  if (r.cinfo.output_components != 3) return false;
  while (r.cinfo.output_scanline < r.cinfo.output_height) {
    JSAMPROW row = pixels + static_cast<size_t>(r.cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&r.cinfo, &row, 1);
  }
  jpeg_finish_decompress(&r.cinfo);
  return true;
}

}  // namespace
#endif

DecodedImage decode_jpeg(std::span<const uint8_t> bytes, std::string_view what) {
#if defined(FLUXGEN_WITH_JPEG)
  check(bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF, what, ": not a JPEG file");
  JpegReader r;
  r.cinfo.err = jpeg_std_error(&r.errors.mgr);
  r.errors.mgr.error_exit = jpeg_on_error;
  r.errors.mgr.emit_message = jpeg_on_message;
  if (!jpeg_read_header_step(r, bytes.data(), bytes.size())) fail(what, ": corrupt JPEG: ", r.errors.message);
  check_image_size(r.cinfo.image_width, r.cinfo.image_height, what);
  const J_COLOR_SPACE cs = r.cinfo.jpeg_color_space;
  check(cs == JCS_GRAYSCALE || cs == JCS_YCbCr || cs == JCS_RGB, what,
        ": unsupported JPEG colour space (CMYK/YCCK); convert the image to RGB first");

  DecodedImage out;
  out.format = ImageFormat::JPEG;
  for (jpeg_saved_marker_ptr m = r.cinfo.marker_list; m; m = m->next) {
    const std::string_view data(reinterpret_cast<const char*>(m->data), m->data_length);
    if (m->marker == JPEG_APP0 + 1 && out.metadata.exif.empty() && data.size() >= 6 &&
        data.substr(0, 6) == std::string_view("Exif\0\0", 6)) {
      out.metadata.exif = std::string(data.substr(6));
    } else if (m->marker == JPEG_COM) {
      out.metadata.text.emplace_back("comment", utf8_replace_invalid(data));
    }
  }
  out.image = Image(static_cast<int>(r.cinfo.image_width), static_cast<int>(r.cinfo.image_height), 3);
  if (!jpeg_read_pixels_step(r, out.image.pixels.data(), out.image.row_bytes())) {
    fail(what, ": corrupt JPEG: ", r.errors.message[0] ? r.errors.message : "unexpected output layout");
  }
  return out;
#else
  (void)bytes;
  fail(what, ": cannot decode JPEG: fluxgen was built without libjpeg (install libjpeg-dev and rebuild)");
#endif
}

}  // namespace fluxgen
