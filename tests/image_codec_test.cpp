// Image decoding against what Pillow decodes from the same files, PNG encoding round trips, text
// chunks as Pillow writes them, and hostile or broken files.
#include <gtest/gtest.h>

#include <csetjmp>
#include <filesystem>
#include <random>

#include "imaging_test_support.h"
#include "io/image/exif.h"
#include "io/image/image_io.h"
#include "io/image/jpeg_codec.h"
#include "io/image/png_codec.h"
#include "io/image/webp_codec.h"
#include "util/error.h"

#if defined(FLUXGEN_WITH_PNG)
#include <png.h>
#endif
#if defined(FLUXGEN_WITH_ZLIB)
#include <zlib.h>
#endif

namespace fluxgen {
namespace {

using test::golden_image;
using test::imaging_data;
using test::read_binary;

const SafetensorsFile& goldens() {
  static const auto file = SafetensorsFile::open(imaging_data("decode_goldens.safetensors"));
  return *file;
}

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

#define REQUIRE_PNG()                                                           \
  if (!png_decoding_available() || !png_encoding_available()) GTEST_SKIP() << "built without libpng/zlib"
#define REQUIRE_JPEG() \
  if (!jpeg_decoding_available()) GTEST_SKIP() << "built without libjpeg"
#define REQUIRE_WEBP() \
  if (!webp_decoding_available()) GTEST_SKIP() << "built without libwebp"

// The message of the fluxgen::Error `fn` throws ("" when it does not throw).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A test picture with every byte value used somewhere.
Image test_pattern(int w, int h, int c, uint32_t seed = 1) {
  Image im(w, h, c);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>((i % 7 == 0) ? rng() : i * 37);
  return im;
}

TEST(ImageCodecPng, PillowFilesDecodeLikePillow) {
  REQUIRE_PNG();
  EXPECT_SAME_IMAGE(read_image(imaging_data("plain.png")), golden_image(goldens(), "src.rgb"), "plain.png");
  EXPECT_SAME_IMAGE(read_image(imaging_data("a1111_itxt.png")), golden_image(goldens(), "src.rgba"), "rgba");
  for (const char* name : {"gray.png", "gray_alpha.png", "palette.png", "palette_trns.png", "bilevel.png", "gray16.png"})
    EXPECT_SAME_IMAGE(read_image(imaging_data(name)), golden_image(goldens(), name), name);
}

TEST(ImageCodecPng, TextChunksAsPillowWroteThem) {
  REQUIRE_PNG();
  const std::string latin = read_binary(imaging_data("a1111_text.txt"));
  const std::string unicode = read_binary(imaging_data("a1111_unicode.txt"));
  for (const auto& [file, expected] : {std::pair{"a1111_text.png", latin}, std::pair{"a1111_itxt.png", unicode},
                                       std::pair{"a1111_ztxt.png", latin}}) {
    const DecodedImage d = read_image_file(imaging_data(file));
    ASSERT_EQ(d.metadata.text.size(), 1u) << file;
    EXPECT_EQ(d.metadata.text[0].first, "parameters");
    EXPECT_EQ(d.metadata.text[0].second, expected) << file;
    EXPECT_EQ(infotext_from_metadata(d.metadata), expected) << file;
  }
  EXPECT_FALSE(infotext_from_metadata(read_image_file(imaging_data("plain.png")).metadata));
}

// Writes the chunk types of a PNG in order.
std::vector<std::string> chunk_types(const std::string& png) {
  std::vector<std::string> types;
  for (size_t pos = 8; pos + 8 <= png.size();) {
    const auto* p = reinterpret_cast<const uint8_t*>(png.data() + pos);
    const uint32_t len = (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    types.emplace_back(png.substr(pos + 4, 4));
    pos += 12 + len;
  }
  return types;
}

TEST(ImageCodecPng, EncoderRoundTripsAndWritesTextLikePillow) {
  REQUIRE_PNG();
  for (int c : {1, 3, 4}) {
    const Image im = test_pattern(37, 19, c, c);
    const std::string latin = "photo, caf\xc3\xa9\nSteps: 12";  // é is Latin-1
    const std::string emoji = "\xf0\x9f\x8c\xb8 prompt";       // not Latin-1
    const std::string png = encode_png(im, {{"parameters", latin}, {"extra", emoji}});
    EXPECT_EQ(chunk_types(png), (std::vector<std::string>{"IHDR", "tEXt", "iTXt", "IDAT", "IEND"}));
    // tEXt holds Latin-1 bytes: "caf\xe9".
    EXPECT_NE(png.find(std::string("parameters\0photo, caf\xe9\nSteps: 12", 32)), std::string::npos);
    // iTXt: key, NUL, compression flag 0, method 0, empty language, empty translated key, UTF-8.
    EXPECT_NE(png.find(std::string("extra\0\0\0\0\0", 10) + emoji), std::string::npos);
    const DecodedImage d = decode_png(as_bytes(png), "roundtrip.png");
    const Image expected = c == 1 ? to_rgb(im) : im;  // gray decodes as RGB
    EXPECT_SAME_IMAGE(d.image, expected, "channels " << c);
    ASSERT_EQ(d.metadata.text.size(), 2u);
    EXPECT_EQ(d.metadata.text[0], (std::pair<std::string, std::string>{"parameters", latin}));
    EXPECT_EQ(d.metadata.text[1], (std::pair<std::string, std::string>{"extra", emoji}));
  }
  // A large image spans several IDAT chunks.
  const Image big = test_pattern(700, 500, 3, 9);
  const std::string png = encode_png(big);
  const auto types = chunk_types(png);
  EXPECT_GT(std::count(types.begin(), types.end(), "IDAT"), 1);
  EXPECT_SAME_IMAGE(decode_png(as_bytes(png), "big.png").image, big, "big");
}

TEST(ImageCodecPng, EncoderRejectsBadText) {
  REQUIRE_PNG();
  const Image im(2, 2, 3);
  EXPECT_THROW(encode_png(im, {{"", "x"}}), Error);
  EXPECT_THROW(encode_png(im, {{std::string(80, 'k'), "x"}}), Error);
  EXPECT_THROW(encode_png(im, {{"\xe6\x9d\xb1", "x"}}), Error);  // key not Latin-1
  // Keys libpng would rewrite (trimmed or collapsed spaces, control characters) are refused, not altered.
  for (const char* key : {" parameters", "parameters ", "two  spaces", "tab\tkey", "nul\x01"}) {
    const std::string err = test::error_of([&] { encode_png(im, {{key, "x"}}); });
    EXPECT_NE(err.find(std::string("PNG text key '") + key + "'"), std::string::npos) << err;
  }
  EXPECT_NO_THROW(encode_png(im, {{"one space", "x"}}));
  EXPECT_THROW(encode_png(im, {{"parameters", "bad \xff utf8"}}), Error);
  EXPECT_THROW(encode_png(im, {{"parameters", std::string("nul\0inside", 10)}}), Error);
  EXPECT_THROW(encode_png(Image(), {}), Error);
}

#if defined(FLUXGEN_WITH_PNG)
// libpng's writer for layouts our encoder never produces: 16-bit RGB(A), Adam7 interlacing.
struct PngMemory {
  std::string bytes;
};
void png_mem_write(png_structp png, png_bytep data, png_size_t n) {
  static_cast<PngMemory*>(png_get_io_ptr(png))->bytes.append(reinterpret_cast<const char*>(data), n);
}
void png_mem_flush(png_structp) {}

std::string libpng_encode(int w, int h, int color_type, int bit_depth, bool interlace, const std::vector<uint8_t>& raw) {
  PngMemory mem;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return "";
  }
  png_set_write_fn(png, &mem, png_mem_write, png_mem_flush);
  png_set_IHDR(png, info, w, h, bit_depth, color_type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row = raw.size() / h;
  std::vector<png_bytep> rows(h);
  for (int y = 0; y < h; ++y) rows[y] = const_cast<png_bytep>(raw.data() + y * row);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return mem.bytes;
}

TEST(ImageCodecPng, SixteenBitAndInterlaced) {
  REQUIRE_PNG();
  const int w = 13, h = 9;
  // 16-bit RGBA, big-endian samples: the high byte is kept (as Pillow does).
  std::vector<uint8_t> raw16(w * h * 8);
  Image expected16(w, h, 4);
  for (size_t i = 0; i < raw16.size() / 2; ++i) {
    raw16[2 * i] = static_cast<uint8_t>(i * 29);
    raw16[2 * i + 1] = static_cast<uint8_t>(255 - i);
    expected16.pixels[i] = raw16[2 * i];
  }
  const std::string png16 = libpng_encode(w, h, PNG_COLOR_TYPE_RGB_ALPHA, 16, false, raw16);
  ASSERT_FALSE(png16.empty());
  EXPECT_SAME_IMAGE(decode_png(as_bytes(png16), "rgba16.png").image, expected16, "rgba16");
  // Interlaced 8-bit RGB decodes to the same pixels as written.
  const Image im = test_pattern(w, h, 3, 5);
  const std::string interlaced = libpng_encode(w, h, PNG_COLOR_TYPE_RGB, 8, true, im.pixels);
  ASSERT_FALSE(interlaced.empty());
  EXPECT_SAME_IMAGE(decode_png(as_bytes(interlaced), "adam7.png").image, im, "adam7");
}
#endif

// A minimal PNG whose IHDR claims width x height, with a valid CRC, and no image data.
std::string png_with_size(uint32_t width, uint32_t height) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr = "IHDR";
  for (uint32_t v : {width, height}) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    ihdr.append(b, 4);
  }
  ihdr.append("\x08\x02\x00\x00\x00", 5);
  png.append("\0\0\0\x0d", 4);
  png += ihdr;
#if defined(FLUXGEN_WITH_ZLIB)
  const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), ihdr.size()));
  const char c[4] = {char(crc >> 24), char(crc >> 16), char(crc >> 8), char(crc)};
  png.append(c, 4);
#endif
  return png;
}

TEST(ImageCodecPng, AbsurdDimensionsAreRefusedBeforeAllocating) {
  REQUIRE_PNG();
  const std::string wide = error_of([&] { decode_png(as_bytes(png_with_size(20000, 10)), "wide.png"); });
  EXPECT_NE(wide.find("wide.png"), std::string::npos) << wide;
  EXPECT_NE(wide.find("20000x10"), std::string::npos) << wide;
  const std::string many = error_of([&] { decode_png(as_bytes(png_with_size(16384, 16384)), "many.png"); });
  EXPECT_NE(many.find("exceeds the limit"), std::string::npos) << many;
  const std::string huge = error_of([&] { decode_png(as_bytes(png_with_size(0x7fffffff, 0x7fffffff)), "huge.png"); });
  EXPECT_NE(huge.find("huge.png"), std::string::npos) << huge;
}

TEST(ImageCodecPng, TruncatedAndCorruptFilesGiveErrorsNamingTheFile) {
  REQUIRE_PNG();
  const std::string png = read_binary(imaging_data("a1111_text.png"));
  for (size_t cut : {size_t(8), size_t(20), size_t(40), png.size() / 2, png.size() - 13, png.size() - 1}) {
    const std::string msg = error_of([&] { decode_png(as_bytes(png.substr(0, cut)), "cut.png"); });
    EXPECT_NE(msg.find("cut.png"), std::string::npos) << "cut at " << cut << ": '" << msg << "'";
  }
  // Flipping bytes anywhere must give an error or an image, never a crash.
  std::mt19937 rng(7);
  int errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = png;
    for (int k = 0; k < 3; ++k) bad[8 + rng() % (bad.size() - 8)] ^= static_cast<char>(1 + rng() % 255);
    try {
      const DecodedImage d = decode_png(as_bytes(bad), "fuzz.png");
      EXPECT_EQ(d.image.pixels.size(), size_t(32 * 24 * 3));
    } catch (const Error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("fuzz.png"), std::string::npos);
    }
  }
  EXPECT_GT(errors, 100);  // CRCs catch most damage to critical chunks
}

TEST(ImageCodecJpeg, DecodesLikePillowWithExifInfotext) {
  REQUIRE_JPEG();
  const DecodedImage d = read_image_file(imaging_data("photo.jpg"));
  EXPECT_EQ(d.format, ImageFormat::JPEG);
  EXPECT_SAME_IMAGE(d.image, golden_image(goldens(), "photo.jpg"), "photo.jpg");
  EXPECT_EQ(infotext_from_metadata(d.metadata), read_binary(imaging_data("a1111_unicode.txt")));
  EXPECT_SAME_IMAGE(read_image(imaging_data("gray.jpg")), golden_image(goldens(), "gray.jpg"), "gray.jpg");
}

TEST(ImageCodecJpeg, TruncatedAndGarbageFilesAreErrors) {
  REQUIRE_JPEG();
  const std::string jpg = read_binary(imaging_data("photo.jpg"));
  for (size_t cut : {size_t(3), size_t(30), jpg.size() / 2, jpg.size() - 2}) {
    const std::string msg = error_of([&] { decode_jpeg(as_bytes(jpg.substr(0, cut)), "cut.jpg"); });
    EXPECT_NE(msg.find("cut.jpg"), std::string::npos) << "cut at " << cut << ": '" << msg << "'";
  }
  std::string garbage = jpg.substr(0, 3) + std::string(500, '\x42');
  EXPECT_NE(error_of([&] { decode_jpeg(as_bytes(garbage), "garbage.jpg"); }).find("garbage.jpg"), std::string::npos);
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bad = jpg;
    for (int k = 0; k < 4; ++k) bad[2 + rng() % (bad.size() - 2)] = static_cast<char>(rng());
    try {
      decode_jpeg(as_bytes(bad), "fuzz.jpg");
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("fuzz.jpg"), std::string::npos);
    }
  }
}

TEST(ImageCodecWebp, DecodesLikePillowWithExifInfotext) {
  REQUIRE_WEBP();
  const DecodedImage lossless = read_image_file(imaging_data("lossless.webp"));
  EXPECT_EQ(lossless.format, ImageFormat::WebP);
  EXPECT_SAME_IMAGE(lossless.image, golden_image(goldens(), "lossless.webp"), "lossless.webp");
  EXPECT_EQ(infotext_from_metadata(lossless.metadata), read_binary(imaging_data("a1111_text.txt")));
  const DecodedImage lossy = read_image_file(imaging_data("lossy.webp"));
  EXPECT_SAME_IMAGE(lossy.image, golden_image(goldens(), "lossy.webp"), "lossy.webp");
  EXPECT_FALSE(infotext_from_metadata(lossy.metadata));
}

TEST(ImageCodecWebp, TruncatedFilesAreErrors) {
  REQUIRE_WEBP();
  const std::string webp = read_binary(imaging_data("lossless.webp"));
  for (size_t cut : {size_t(12), size_t(30), webp.size() / 2, webp.size() - 1}) {
    const std::string msg = error_of([&] { decode_webp(as_bytes(webp.substr(0, cut)), "cut.webp"); });
    EXPECT_NE(msg.find("cut.webp"), std::string::npos) << "cut at " << cut << ": '" << msg << "'";
  }
}

TEST(ImageCodec, UnsupportedAndMissingFiles) {
  const auto msg = [](const std::string& bytes) {
    return error_of([&] { decode_image(as_bytes(bytes), "x.img"); });
  };
  EXPECT_NE(msg("").find("empty"), std::string::npos);
  EXPECT_NE(msg("GIF89a....").find("GIF is not supported"), std::string::npos);
  EXPECT_NE(msg("BM......").find("BMP"), std::string::npos);
  EXPECT_NE(msg("hello world").find("x.img: not a PNG, JPEG or WebP image"), std::string::npos);
  const std::string missing = error_of([] { read_image_file("/nonexistent/dir/image.png"); });
  EXPECT_NE(missing.find("/nonexistent/dir/image.png"), std::string::npos) << missing;
}

TEST(ImageCodec, WritePngIsAtomicAndReportsFailures) {
  REQUIRE_PNG();
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/out.png";
  test::write_binary(path, "old content");
  const Image im = test_pattern(16, 8, 3);
  write_png(path, im, {{"parameters", "a prompt\nSteps: 1, Sampler: Euler, Seed: 1"}});
  EXPECT_SAME_IMAGE(read_image(path), im, "written");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1)
      << "no temporary file left behind";
  const std::string bad = error_of([&] { write_png(dir + "/missing/out.png", im); });
  EXPECT_NE(bad.find("missing/out.png"), std::string::npos) << bad;
  const std::string badtext = error_of([&] { write_png(dir + "/t.png", im, {{"", "x"}}); });
  EXPECT_NE(badtext.find("t.png"), std::string::npos) << badtext;
  EXPECT_FALSE(std::filesystem::exists(dir + "/t.png"));
}

TEST(ImageCodec, Base64WithAndWithoutDataUrl) {
  REQUIRE_PNG();
  const Image im = test_pattern(9, 7, 4);
  const std::string b64 = encode_png_base64(im, {{"parameters", "p"}});
  EXPECT_EQ(b64.substr(0, 8), "iVBORw0K");  // base64 of the PNG signature
  EXPECT_SAME_IMAGE(decode_image_base64(b64).image, im, "plain");
  EXPECT_SAME_IMAGE(decode_image_base64("data:image/png;base64," + b64).image, im, "data url");
  std::string wrapped;
  for (size_t i = 0; i < b64.size(); i += 60) wrapped += b64.substr(i, 60) + "\r\n";
  EXPECT_SAME_IMAGE(decode_image_base64(wrapped).image, im, "line breaks");
  EXPECT_NE(error_of([&] { decode_image_base64("data:image/png," + b64, "init_images[0]"); }).find("init_images[0]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { decode_image_base64("iVBOR*w0K", "mask"); }).find("invalid base64 character '*'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { decode_image_base64("aGVsbG8gd29ybGQ=", "mask"); }).find("mask: not a PNG"),
            std::string::npos);
}

TEST(ImageCodec, ExifUserCommentEncodingsAndHostileExif) {
  // Build a TIFF with IFD0 -> Exif IFD -> UserComment, in either byte order.
  const auto tiff = [](bool big, const std::string& comment) {
    std::string t = big ? std::string("MM\0\x2a", 4) : std::string("II\x2a\0", 4);
    const auto u16 = [&](uint32_t v) {
      t += big ? char(v >> 8) : char(v), t += big ? char(v) : char(v >> 8);
    };
    const auto u32 = [&](uint32_t v) {
      if (big) u16(v >> 16), u16(v & 0xffff);
      else u16(v & 0xffff), u16(v >> 16);
    };
    u32(8);
    u16(1), u16(0x8769), u16(4), u32(1), u32(26), u32(0);
    u16(1), u16(0x9286), u16(7), u32(static_cast<uint32_t>(comment.size())), u32(44), u32(0);
    return t + comment;
  };
  const std::string be = std::string("UNICODE\0", 8) + std::string("\0h\0i\x04\x3f", 6);  // "hiп"
  EXPECT_EQ(exif_user_comment(tiff(true, be)), "hi\xd0\xbf");
  const std::string le = std::string("UNICODE\0", 8) + std::string("h\0i\0\x3f\x04", 6);
  EXPECT_EQ(exif_user_comment(tiff(false, le)), "hi\xd0\xbf");
  EXPECT_EQ(exif_user_comment(std::string("Exif\0\0", 6) + tiff(true, be)), "hi\xd0\xbf");
  EXPECT_EQ(exif_user_comment(tiff(true, std::string("ASCII\0\0\0plain\xff", 14))), "plain\xef\xbf\xbd");
  EXPECT_EQ(exif_user_comment(tiff(true, std::string(8, '\0') + "raw")), "raw");
  // Broken structures give nothing rather than a crash.
  std::string t = tiff(true, be);
  EXPECT_FALSE(exif_user_comment(t.substr(0, 30)));
  EXPECT_FALSE(exif_user_comment("garbage"));
  std::string bad_offset = t;
  bad_offset[8 + 2 + 8] = '\x7f';  // ExifIFD pointer far outside
  EXPECT_FALSE(exif_user_comment(bad_offset));
  std::mt19937 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string f = t;
    for (int k = 0; k < 3; ++k) f[rng() % f.size()] = static_cast<char>(rng());
    (void)exif_user_comment(f);
  }
}

TEST(ImageConvert, ChannelConversionsMatchPillow) {
  const Image rgb = golden_image(goldens(), "src.rgb");
  const Image rgba = golden_image(goldens(), "src.rgba");
  EXPECT_SAME_IMAGE(to_gray(rgb), golden_image(goldens(), "convert.to_gray"), "to_gray");
  EXPECT_SAME_IMAGE(flatten_alpha(rgba, 255, 255, 255), golden_image(goldens(), "convert.flatten_white"), "flatten");
  const Image back = to_rgb(to_rgba(rgb));
  EXPECT_SAME_IMAGE(back, rgb, "rgb -> rgba -> rgb");
  EXPECT_THROW(Image(4, 4, 2), Error);
  EXPECT_THROW(Image(0, 4, 3), Error);
}

TEST(ImageConvert, TensorRangesAndForgeRounding) {
  Image im(3, 1, 3);
  for (int i = 0; i < 9; ++i) im.pixels[i] = static_cast<uint8_t>(i * 30);
  const Tensor t01 = image_to_tensor(im, PixelRange::ZeroOne);
  EXPECT_EQ(t01.shape(), (Shape{1, 3, 1, 3}));
  EXPECT_FLOAT_EQ(t01.f32()[1], 90 / 255.0f);  // channel 0 of pixel 1 (NCHW)
  const Tensor tpm = image_to_tensor(im, PixelRange::MinusOneOne);
  EXPECT_FLOAT_EQ(tpm.f32()[0], -1.0f);
  EXPECT_SAME_IMAGE(tensor_to_image(t01, PixelRange::ZeroOne), im, "0..1 round trip");
  const Image back = tensor_to_image(tpm, PixelRange::MinusOneOne);
  for (size_t i = 0; i < im.pixels.size(); ++i) {
    const float x = 2.0f * (im.pixels[i] / 255.0f) - 1.0f;
    EXPECT_EQ(back.pixels[i], static_cast<uint8_t>(255.0f * ((x + 1.0f) / 2.0f))) << i;
    EXPECT_LE(im.pixels[i] - back.pixels[i], 1) << i;
  }
  // Forge truncates: 0.999 * 255 = 254.7 -> 254; out of range and NaN clamp.
  const Tensor odd = Tensor::from_vector({1, 1, 1, 4}, {0.999f, 1.5f, -0.2f, std::nanf("")});
  const Image g = tensor_to_image(odd, PixelRange::ZeroOne);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{254, 255, 0, 0}));
  EXPECT_THROW(tensor_to_image(Tensor::zeros({1, 2, 4, 4}), PixelRange::ZeroOne), Error);
  EXPECT_THROW(tensor_to_image(Tensor::zeros({2, 3, 4, 4}), PixelRange::ZeroOne), Error);
}

}  // namespace
}  // namespace fluxgen
