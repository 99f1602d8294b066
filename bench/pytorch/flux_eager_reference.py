#!/usr/bin/env python3
"""PyTorch eager baseline for bench/flux_cpu: the official BFL Flux model (black-forest-labs/flux,
not part of this repository: pass its `src` folder) built as the same mini FLUX (FLUX.1-dev widths,
--double + --single blocks), random weights, 512² (1024 image tokens) + 256 text tokens, timed one
forward at a time on the CPU in fp32 and bf16.

  apt-get install python3-torch   (einops, absent from Debian 12, is replaced by a shim below)
  /usr/bin/python3 bench/pytorch/flux_eager_reference.py --bfl-src /path/to/flux/src [--dtypes fp32,bf16]

Prints a markdown table: s/step, the median of --steps forwards after one warm-up (the shapes are
flux_cpu's, so its GFLOP/s count applies).
"""
import argparse
import statistics
import sys
import time
import types


def install_einops_shim():
    """Debian 12 has no python3-einops: the three rearrange patterns BFL's model uses, as torch
    reshapes and permutes (anything else raises, so a changed model cannot be timed wrongly)."""
    def rearrange(x, pattern, **sizes):
        if pattern == "B H L D -> B L (H D)":
            B, H, L, D = x.shape
            return x.permute(0, 2, 1, 3).reshape(B, L, H * D)
        if pattern == "b n d (i j) -> b n d i j":
            return x.reshape(*x.shape[:-1], sizes["i"], sizes["j"])
        if pattern == "B L (K H D) -> K B H L D":
            B, L, KHD = x.shape
            K, H = sizes["K"], sizes["H"]
            return x.reshape(B, L, K, H, KHD // (K * H)).permute(2, 0, 3, 1, 4)
        raise NotImplementedError(f"einops shim: pattern {pattern!r}")
    try:
        import einops  # noqa: F401  (the real one, where installed)
    except ImportError:
        sys.modules["einops"] = types.SimpleNamespace(rearrange=rearrange)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bfl-src", required=True, help="black-forest-labs/flux checkout's src folder")
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--text-tokens", type=int, default=256)
    ap.add_argument("--double", type=int, default=2)
    ap.add_argument("--single", type=int, default=4)
    ap.add_argument("--steps", type=int, default=1)
    args = ap.parse_args()
    sys.path.insert(0, args.bfl_src)
    install_einops_shim()
    import torch
    if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        # torch < 2.0 (Debian 12 ships 1.13): attention as eager PyTorch computes it, two matmuls.
        def sdpa(q, k, v):
            w = torch.softmax((q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5), dim=-1)
            return w @ v
        torch.nn.functional.scaled_dot_product_attention = sdpa
    from flux.model import Flux, FluxParams

    torch.manual_seed(0)
    params = FluxParams(in_channels=64, out_channels=64, vec_in_dim=768, context_in_dim=4096, hidden_size=3072,
                        mlp_ratio=4.0, num_heads=24, depth=args.double, depth_single_blocks=args.single,
                        axes_dim=[16, 56, 56], theta=10_000, qkv_bias=True, guidance_embed=True)
    latent = args.size // 8
    L, T = (latent // 2) ** 2, args.text_tokens
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {args.double} double + {args.single} single "
          f"blocks, {args.size}² ({L} image tokens) + {T} text tokens\n")
    print("| engine | dtype | s/step |")
    print("|---|---|---|")
    for name in args.dtypes.split(","):
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[name]
        model = Flux(params)  # torch 1.13 (Debian 12) has no meta-device construction
        with torch.no_grad():
            for p in model.parameters():
                if p.ndim == 2:
                    p.normal_(0.0, p.shape[1] ** -0.5)
                else:
                    p.normal_(0.0, 0.02)
        model = model.to(dtype).eval()
        img = torch.randn(1, L, 64, dtype=dtype)
        txt = torch.randn(1, T, 4096, dtype=dtype)
        y = torch.randn(1, 768, dtype=dtype)
        ids = torch.zeros(latent // 2, latent // 2, 3)
        ids[..., 1] = torch.arange(latent // 2)[:, None]
        ids[..., 2] = torch.arange(latent // 2)[None, :]
        img_ids = ids.reshape(1, L, 3)
        txt_ids = torch.zeros(1, T, 3)
        t = torch.tensor([0.75], dtype=dtype)
        g = torch.tensor([3.5], dtype=dtype)
        times = []
        with torch.inference_mode():
            model(img=img, img_ids=img_ids, txt=txt, txt_ids=txt_ids, timesteps=t, y=y, guidance=g)
            for _ in range(args.steps):
                t0 = time.perf_counter()
                model(img=img, img_ids=img_ids, txt=txt, txt_ids=txt_ids, timesteps=t, y=y, guidance=g)
                times.append(time.perf_counter() - t0)
        s = statistics.median(times)
        print(f"| PyTorch eager, BFL Flux | {name} | {s:.2f} |", flush=True)
        del model


if __name__ == "__main__":
    main()
