#!/usr/bin/python3
"""Generates the imaging goldens in this folder with Pillow (what A1111/Forge use for every image
operation), so fluxgen's resampling and decoders are checked against Pillow's own output.

Run with Debian's python3-pil and python3-numpy (Pillow 9.4 here; A1111/Forge pin Pillow 9.5, whose
Resample.c, Geometry.c and Convert.c are the same code):

    /usr/bin/python3 tests/data/imaging/make_goldens.py

Writes:
  resize_goldens.safetensors  source images and Pillow's resize results (uint8 RGB/RGBA/L, float32 "F")
                              plus A1111's images.resize_image modes 0/1/2 (re-stated below from
                              modules/images.py with upscaler "None": plain Lanczos)
  decode_goldens.safetensors  what Pillow decodes from the image files below (RGB/RGBA uint8)
  *.png / *.jpg / *.webp      small files written by Pillow, some with A1111 infotext

Everything here is deterministic (fixed NumPy seed); rerunning reproduces the same bytes.
"""
import os
import sys
import struct

import numpy as np
from PIL import Image, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from golden_files import test_picture, write_safetensors  # noqa: E402

rng = np.random.default_rng(20240611)


def a1111_resize_image(resize_mode, im, width, height):
    """modules/images.py resize_image with upscaler 'None' (Lanczos only)."""
    LANCZOS = Image.Resampling.LANCZOS
    if resize_mode == 0:
        return im.resize((width, height), resample=LANCZOS)
    ratio = width / height
    src_ratio = im.width / im.height
    if resize_mode == 1:
        src_w = width if ratio > src_ratio else im.width * height // im.height
        src_h = height if ratio <= src_ratio else im.height * width // im.width
        resized = im.resize((src_w, src_h), resample=LANCZOS)
        res = Image.new("RGB", (width, height))
        res.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
        return res
    src_w = width if ratio < src_ratio else im.width * height // im.height
    src_h = height if ratio >= src_ratio else im.height * width // im.width
    resized = im.resize((src_w, src_h), resample=LANCZOS)
    res = Image.new("RGB", (width, height))
    res.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
    if ratio < src_ratio:
        fill_height = height // 2 - src_h // 2
        if fill_height > 0:
            res.paste(resized.resize((width, fill_height), box=(0, 0, width, 0)), box=(0, 0))
            res.paste(resized.resize((width, fill_height), box=(0, resized.height, width, resized.height)),
                      box=(0, fill_height + src_h))
    elif ratio > src_ratio:
        fill_width = width // 2 - src_w // 2
        if fill_width > 0:
            res.paste(resized.resize((fill_width, height), box=(0, 0, 0, height)), box=(0, 0))
            res.paste(resized.resize((fill_width, height), box=(resized.width, 0, resized.width, height)),
                      box=(fill_width + src_w, 0))
    return res


def resize_goldens():
    out = {}
    rgb = test_picture(rng, 23, 37, 3)
    rgba = test_picture(rng, 19, 29, 4)
    rgba[..., 3] = np.where(rgba[..., 3] < 40, 0, rgba[..., 3])  # some fully transparent pixels
    rgba[:3, :, 3] = 255
    gray = test_picture(rng, 17, 21, 1)[..., 0]
    flt = (rng.standard_normal((13, 18)) * 2.0).astype(np.float32)
    out["src.rgb"] = rgb
    out["src.rgba"] = rgba
    out["src.gray"] = gray
    out["src.float"] = flt
    im_rgb, im_rgba = Image.fromarray(rgb, "RGB"), Image.fromarray(rgba, "RGBA")
    im_gray, im_f = Image.fromarray(gray, "L"), Image.fromarray(flt, "F")
    R = Image.Resampling
    filters = {"lanczos": R.LANCZOS, "bilinear": R.BILINEAR, "bicubic": R.BICUBIC, "nearest": R.NEAREST}
    sizes = {"down": (16, 11), "up": (80, 50), "mixed": (50, 9), "same_w": (37, 30)}
    for fname, f in filters.items():
        for sname, size in sizes.items():
            out[f"rgb.{fname}.{sname}"] = np.asarray(im_rgb.resize(size, resample=f))
        out[f"rgba.{fname}.down"] = np.asarray(im_rgba.resize((12, 8), resample=f))
        out[f"rgba.{fname}.up"] = np.asarray(im_rgba.resize((61, 40), resample=f))
        out[f"gray.{fname}.down"] = np.asarray(im_gray.resize((9, 7), resample=f))
        out[f"float.{fname}.down"] = np.asarray(im_f.resize((7, 5), resample=f), dtype=np.float32)
        out[f"float.{fname}.up"] = np.asarray(im_f.resize((31, 27), resample=f), dtype=np.float32)
    # Boxes, including the zero-height / zero-width ones "resize and fill" uses (default filter
    # of Image.resize is BICUBIC).
    out["rgb.box.bicubic.top_edge"] = np.asarray(im_rgb.resize((40, 6), box=(0, 0, 37, 0)))
    out["rgb.box.bicubic.bottom_edge"] = np.asarray(im_rgb.resize((40, 6), box=(0, 23, 37, 23)))
    out["rgb.box.bicubic.left_edge"] = np.asarray(im_rgb.resize((5, 30), box=(0, 0, 0, 23)))
    out["rgb.box.lanczos.crop"] = np.asarray(im_rgb.resize((20, 14), resample=R.LANCZOS, box=(3, 2, 30, 21)))
    # A1111 resize modes, targets wider and taller than the source's 37:23 aspect.
    for mode in (0, 1, 2):
        for tname, (w, h) in {"wide": (64, 24), "tall": (24, 40), "same": (74, 46)}.items():
            out[f"a1111.mode{mode}.{tname}"] = np.asarray(a1111_resize_image(mode, im_rgb, w, h))
    write_safetensors(os.path.join(HERE, "resize_goldens.safetensors"), out)


A1111_TEXT = ("photo of a woman, natural light\nNegative prompt: blurry, lowres\n"
              "Steps: 12, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Distilled CFG Scale: 3.5, "
              "Seed: 1234, Size: 64x48, Model hash: 0123456789, Model: flux1-dev-bnb-nf4-v2, "
              "Lora hashes: \"me: abcdef012345\", Version: f2.0.1v1.10.1, "
              "Diffusion in Low Bits: bnb-nf4 (fp16 LoRA)")
UNICODE_TEXT = A1111_TEXT.replace("photo of a woman", "портрет женщины, 東京 🌸")


def exif_user_comment(text):
    """The EXIF A1111 writes (piexif.dump of {"Exif": {UserComment: UserComment.dump(text, "unicode")}}):
    big-endian TIFF, IFD0 with one ExifIFD pointer, the Exif IFD with UserComment (UNDEFINED),
    the comment = b"UNICODE\\0" + UTF-16BE."""
    comment = b"UNICODE\x00" + text.encode("utf_16_be")
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(comment), 26 + 18) + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + exif_ifd + comment
    return b"Exif\x00\x00" + tiff


def files_and_decode_goldens():
    out = {}
    rgb = test_picture(rng, 24, 32, 3)
    rgba = test_picture(rng, 24, 32, 4)
    out["src.rgb"] = rgb
    out["src.rgba"] = rgba

    def save(name, im, **kw):
        im.save(os.path.join(HERE, name), **kw)

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_TEXT)
    save("a1111_text.png", Image.fromarray(rgb, "RGB"), pnginfo=info)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", UNICODE_TEXT)  # not latin-1: Pillow writes iTXt
    save("a1111_itxt.png", Image.fromarray(rgba, "RGBA"), pnginfo=info)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_TEXT, zip=True)
    save("a1111_ztxt.png", Image.fromarray(rgb, "RGB"), pnginfo=info)
    save("plain.png", Image.fromarray(rgb, "RGB"))

    gray = rgb[..., 0]
    save("gray.png", Image.fromarray(gray, "L"))
    out["gray.png"] = np.asarray(Image.fromarray(gray, "L").convert("RGB"))
    la = np.stack([gray, rgba[..., 3]], -1)
    save("gray_alpha.png", Image.fromarray(la, "LA"))
    out["gray_alpha.png"] = np.asarray(Image.fromarray(la, "LA").convert("RGBA"))
    pal = Image.fromarray(rgb, "RGB").quantize(colors=16)
    save("palette.png", pal)
    out["palette.png"] = np.asarray(pal.convert("RGB"))
    pal_t = pal.copy()
    pal_t.info["transparency"] = 3
    save("palette_trns.png", pal_t, transparency=3)
    out["palette_trns.png"] = np.asarray(Image.open(os.path.join(HERE, "palette_trns.png")).convert("RGBA"))
    bw = Image.fromarray((gray > 128).astype(np.uint8) * 255, "L").convert("1")
    save("bilevel.png", bw)
    out["bilevel.png"] = np.asarray(bw.convert("RGB"))
    g16 = (gray.astype(np.uint16) * 257 + rng.integers(0, 256, gray.shape).astype(np.uint16))
    Image.fromarray(g16.astype(np.uint16), "I;16").save(os.path.join(HERE, "gray16.png"))
    out["gray16.png"] = np.repeat((g16 >> 8).astype(np.uint8)[..., None], 3, -1)  # high byte

    save("photo.jpg", Image.fromarray(rgb, "RGB"), quality=90, exif=exif_user_comment(UNICODE_TEXT))
    out["photo.jpg"] = np.asarray(Image.open(os.path.join(HERE, "photo.jpg")).convert("RGB"))
    save("gray.jpg", Image.fromarray(gray, "L"), quality=90)
    out["gray.jpg"] = np.asarray(Image.open(os.path.join(HERE, "gray.jpg")).convert("RGB"))
    save("lossless.webp", Image.fromarray(rgba, "RGBA"), lossless=True, exif=exif_user_comment(A1111_TEXT))
    out["lossless.webp"] = np.asarray(Image.open(os.path.join(HERE, "lossless.webp")).convert("RGBA"))
    save("lossy.webp", Image.fromarray(rgb, "RGB"), quality=80)
    out["lossy.webp"] = np.asarray(Image.open(os.path.join(HERE, "lossy.webp")).convert("RGB"))
    # Channel conversions: Pillow's RGB -> L, and A1111's images.flatten (RGBA pasted with its own
    # alpha as the mask onto a solid background, then RGB).
    out["convert.to_gray"] = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    bg = Image.new("RGBA", (32, 24), "#ffffff")
    bg.paste(Image.fromarray(rgba, "RGBA"), mask=Image.fromarray(rgba, "RGBA"))
    out["convert.flatten_white"] = np.asarray(bg.convert("RGB"))
    write_safetensors(os.path.join(HERE, "decode_goldens.safetensors"), out)
    with open(os.path.join(HERE, "a1111_text.txt"), "w", encoding="utf-8") as f:
        f.write(A1111_TEXT)
    with open(os.path.join(HERE, "a1111_unicode.txt"), "w", encoding="utf-8") as f:
        f.write(UNICODE_TEXT)


if __name__ == "__main__":
    resize_goldens()
    files_and_decode_goldens()
