"""What the golden generators under tests/data/ share: the safetensors writer and the test picture."""
import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.uint8: "U8", np.float32: "F32"}[arr.dtype.type]
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def test_picture(rng, h, w, c):
    """Edges, gradients and noise, so every filter tap and rounding step matters."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [x * 255 / max(w - 1, 1), y * 255 / max(h - 1, 1), ((x + y) % 7) * 36, 255 - (x * y) % 256]
    base = np.stack(planes[:c], -1)
    noise = rng.integers(0, 256, size=(h, w, c))
    img = np.where((x // 5 + y // 4)[..., None] % 3 == 0, noise, base)
    return np.clip(img, 0, 255).astype(np.uint8)
