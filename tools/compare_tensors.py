#!/usr/bin/env python3
"""Relative L2 error between same-named tensors of two safetensors files (no numpy needed).

usage: compare_tensors.py OUT.safetensors REF.safetensors [NAME[=REFNAME] ...]
"""
import json, math, struct, sys, array

FMT = {"F64": "d", "F32": "f", "I64": "q", "I32": "i"}


def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__" or v["dtype"] not in FMT:
            continue
        s, e = v["data_offsets"]
        a = array.array(FMT[v["dtype"]])
        a.frombytes(b[8 + n + s:8 + n + e])
        out[k] = list(a)
    return out


def main():
    out, ref = load(sys.argv[1]), load(sys.argv[2])
    pairs = [p.split("=") if "=" in p else (p, p) for p in sys.argv[3:]] or [(k, k) for k in out if k in ref]
    for a, b in pairs:
        x, y = out[a], ref[b]
        num = math.sqrt(sum((p - q) ** 2 for p, q in zip(x, y)))
        den = math.sqrt(sum(q * q for q in y)) or 1e-30
        print(f"{a} vs {b}: rel L2 {num / den:.3e} (n={len(x)})")


if __name__ == "__main__":
    main()
