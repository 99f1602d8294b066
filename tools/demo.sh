#!/usr/bin/env bash
# The main job on a fresh clone: install what is missing, build, then generate an image end to end.
# No real weights exist on a fresh machine, so this runs the tiny random-weight FLUX, autoencoder,
# CLIP and T5 the test suite uses (tests/fixtures): a smoke test of the machinery, not a picture.
# With real weights, run build/fluxgen generate as the README shows.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh build
build/fluxgen --help
build/fluxgen info tests/fixtures/flux_bfl.safetensors
models=$(mktemp -d)
trap 'rm -rf "$models"' EXIT
mkdir -p "$models"/{Stable-diffusion,VAE,text_encoder,ESRGAN}
ln -s "$PWD/tests/fixtures/flux_e2e.safetensors" "$models/Stable-diffusion/tiny-flux.safetensors"
ln -s "$PWD/tests/fixtures/ae.safetensors" "$models/VAE/ae.safetensors"
ln -s "$PWD/tests/fixtures/clip_l.safetensors" "$models/text_encoder/clip_l.safetensors"
ln -s "$PWD/tests/fixtures/t5xxl.safetensors" "$models/text_encoder/t5xxl_fp16.safetensors"
ln -s "$PWD/tests/fixtures/esrgan_old.pth" "$models/ESRGAN/4x-UltraSharp.pth"
build/fluxgen generate --models-dir "$models" \
  --prompt "professional portrait photography, natural lighting, detailed skin texture" \
  --width 128 --height 128 --steps 12 --sampler "[Forge] Flux Realistic" --scheduler Simple \
  --distilled-guidance 3.5 --seed 1234 --storage "bnb-nf4 (fp16 LoRA)" \
  --hires-scale 1.3 --hires-upscaler 4x-UltraSharp --hires-steps 8 --denoise 0.3 --output out
echo "fluxgen: demo image written to out/ (tiny random-weight models: expect noise, not a portrait)"
