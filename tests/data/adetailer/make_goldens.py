#!/usr/bin/python3
"""Generates the goldens for fluxgen's OpenCV- and Pillow-exact mask and letterbox operations, with
the libraries ADetailer, A1111/Forge and Ultralytics call themselves.

Run with Debian's python3-opencv (OpenCV 4.6), python3-pil (Pillow 9.4) and python3-numpy:

    /usr/bin/python3 tests/data/adetailer/make_goldens.py

Writes mask_goldens.safetensors:
  resize.src.{gray,rgb,rgba}, resize.<ch>.<W>x<H>   cv2.resize(..., INTER_LINEAR) (Ultralytics' letterbox)
  blur.src, blur.<kx>x<ky>.s<sigma>               cv2.GaussianBlur(mask, (kx, ky), sigma) (A1111 mask blur)
  blur.small.src, blur.small.<...>                 the same on a mask narrower than the kernel
  morph.src, morph.dilate.<v>, morph.erode.<v>     cv2.dilate/erode with getStructuringElement(MORPH_RECT, (v, v))
  rect.<i>                                         PIL ImageDraw.rectangle(box, fill=255) on an L image (box in rect.boxes)
  offset.src, offset.<x>_<y>                       ImageChops.offset(mask, x, -y) (ADetailer's offset(mask, x, y))
  a1111.src, a1111.blur<b>                         A1111/Forge's mask blur: the two cv2.GaussianBlur calls of processing.py

Everything here is deterministic (fixed NumPy seed); rerunning reproduces the same bytes.
"""
import json
import os
import sys

import cv2
import numpy as np
from PIL import Image, ImageChops, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from golden_files import test_picture, write_safetensors  # noqa: E402

rng = np.random.default_rng(20250311)


def binary_mask(h, w, boxes):
    m = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1 in boxes:
        m[y0:y1, x0:x1] = 255
    return m


t = {}
meta = {"opencv": cv2.__version__, "pillow": Image.__version__}

# cv2.resize INTER_LINEAR: up, down, mixed, exact halving (INTER_AREA's fast path), odd sizes.
srcs = {"gray": test_picture(rng, 30, 40, 1)[..., 0], "rgb": test_picture(rng, 30, 40, 3), "rgba": test_picture(rng, 30, 40, 4)}
sizes = [(50, 37), (25, 19), (64, 11), (20, 15), (40, 30), (13, 60), (1, 7), (99, 1)]
for ch, src in srcs.items():
    t[f"resize.src.{ch}"] = src
    for w, h in sizes:
        t[f"resize.{ch}.{w}x{h}"] = cv2.resize(src, (w, h), interpolation=cv2.INTER_LINEAR)
meta["resize_sizes"] = json.dumps(sizes)

# GaussianBlur on a binary mask, the way A1111 calls it and in 2-D; sigmas as mask_blur values.
blur_src = binary_mask(48, 64, [(10, 8, 30, 30), (40, 20, 60, 44), (0, 40, 6, 48)])
t["blur.src"] = blur_src
blur_cases = []
for sigma in [1, 2, 4, 7, 12]:
    k = 2 * int(2.5 * sigma + 0.5) + 1
    for kx, ky in [(k, 1), (1, k), (k, k)]:
        name = f"blur.{kx}x{ky}.s{sigma}"
        t[name] = cv2.GaussianBlur(blur_src, (kx, ky), sigma)
        blur_cases.append([kx, ky, sigma])
small = binary_mask(5, 9, [(2, 1, 5, 4)])
t["blur.small.src"] = small
for sigma in [2, 4]:
    k = 2 * int(2.5 * sigma + 0.5) + 1
    t[f"blur.small.{k}x1.s{sigma}"] = cv2.GaussianBlur(small, (k, 1), sigma)
    t[f"blur.small.1x{k}.s{sigma}"] = cv2.GaussianBlur(small, (1, k), sigma)
meta["blur_cases"] = json.dumps(blur_cases)

# Dilation / erosion as adetailer/mask.py: MORPH_RECT (v, v), one iteration.
morph_src = binary_mask(24, 32, [(5, 5, 12, 14), (20, 3, 21, 4), (25, 15, 32, 24)])
t["morph.src"] = morph_src
for v in [1, 2, 3, 4, 5, 8]:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (v, v))
    t[f"morph.dilate.{v}"] = cv2.dilate(morph_src, kernel, iterations=1)
    t[f"morph.erode.{v}"] = cv2.erode(morph_src, kernel, iterations=1)

# ADetailer's create_mask_from_bbox: float boxes (Ultralytics xyxy) drawn filled on an L image.
rect_boxes = [[3.7, 2.2, 10.9, 8.0], [0.0, 0.0, 20.0, 15.0], [12.5, 14.99, 12.5, 15.0], [5.0, 5.0, 5.0, 5.0],
              [17.2, 3.0, 19.999, 14.2]]
for i, box in enumerate(rect_boxes):
    im = Image.new("L", (20, 15), 0)
    ImageDraw.Draw(im).rectangle(box, fill=255)
    t[f"rect.{i}"] = np.array(im)
t["rect.boxes"] = np.array(rect_boxes, np.float32)

# ImageChops.offset wraps around: ADetailer's offset(mask, x, y) is ImageChops.offset(mask, x, -y).
off_src = test_picture(rng, 9, 13, 1)[..., 0]
t["offset.src"] = off_src
offsets = [[3, 0], [0, 2], [-4, -5], [15, 11], [-13, 9]]
for x, y in offsets:
    t[f"offset.{x}_{y}"] = np.array(ImageChops.offset(Image.fromarray(off_src), x, -y))
meta["offsets"] = json.dumps(offsets)

# A1111/Forge StableDiffusionProcessingImg2Img.init: mask_blur_x then mask_blur_y.
a_src = binary_mask(40, 56, [(12, 9, 33, 27)])
t["a1111.src"] = a_src
for b in [4, 12]:
    m = a_src
    k = 2 * int(2.5 * b + 0.5) + 1
    m = cv2.GaussianBlur(m, (k, 1), b)
    m = cv2.GaussianBlur(m, (1, k), b)
    t[f"a1111.blur{b}"] = m

write_safetensors(os.path.join(HERE, "mask_goldens.safetensors"), t, meta)
print(len(t), "tensors")
