#!/usr/bin/python3
"""PSNR and SSIM goldens for src/imaging/image_metrics (tests/image_metric_goldens_test.cpp), computed
independently with scikit-image (Debian's python3-skimage, 0.19). Writes a few fixed small RGB
images as PNG into tests/data/image_metrics/ and goldens.json beside them; the C++ test reads
both, so it needs no Python at run time. Run: /usr/bin/python3 tools/gen_image_metric_goldens.py

Convention (the one image_metrics.h documents, which `fluxgen compare` reports):
  * pixels as our code sees them: np.float32(v) / 255 (image_to_tensor's ZeroOne range), then
    float64;
  * luminance: skimage.color.rgb2gray (Y = 0.2125 R + 0.7154 G + 0.0721 B);
  * skimage.metrics.peak_signal_noise_ratio(ref, test, data_range=1.0);
  * skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=1.0)   (11x11 window, K1 0.01, K2 0.03, reflect).
"""
import json
import os

import numpy as np
import skimage
from PIL import Image
from skimage.color import rgb2gray
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "image_metrics")


def smooth(h, w):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 / (w - 1), y * 255 / (h - 1), (x + y) * 255 / (w + h - 2)], -1)


def images():
    rng = np.random.default_rng(2024)
    a = smooth(24, 32)
    noisy = a + rng.normal(0, 12, a.shape)
    edges = np.where(((np.mgrid[0:24, 0:32][0] // 6 + np.mgrid[0:24, 0:32][1] // 5) % 2)[..., None] == 0, 40, 210)
    edges = np.broadcast_to(edges, a.shape).astype(np.float64)
    shifted = np.roll(edges, 1, axis=1)
    odd_a = rng.integers(0, 256, (17, 13, 3)).astype(np.float64)  # odd, non-square: every border case
    odd_b = np.clip(odd_a * 0.8 + 30 + rng.normal(0, 20, odd_a.shape), 0, 255)
    u8 = lambda v: np.clip(np.rint(v), 0, 255).astype(np.uint8)
    return {
        "smooth": u8(a), "smooth_noisy": u8(noisy), "edges": u8(edges), "edges_shifted": u8(shifted),
        "random": u8(odd_a), "random_dimmed": u8(odd_b),
    }


def as_model_sees(img):
    return rgb2gray((img.astype(np.float32) / np.float32(255)).astype(np.float64))


def main():
    os.makedirs(OUT, exist_ok=True)
    imgs = images()
    for name, img in imgs.items():
        Image.fromarray(img, "RGB").save(os.path.join(OUT, name + ".png"))
    pairs = [("smooth", "smooth_noisy"), ("edges", "edges_shifted"), ("random", "random_dimmed"),
             ("smooth_noisy", "smooth")]
    goldens = []
    for ref, test in pairs:
        r, t = as_model_sees(imgs[ref]), as_model_sees(imgs[test])
        goldens.append({
            "reference": ref + ".png", "test": test + ".png",
            "psnr": float(peak_signal_noise_ratio(r, t, data_range=1.0)),
            "ssim": float(structural_similarity(r, t, gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False, data_range=1.0)),
        })
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump({"generator": "tools/gen_image_metric_goldens.py", "skimage": skimage.__version__,
                   "pairs": goldens}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
