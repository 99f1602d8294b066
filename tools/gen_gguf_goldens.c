// Golden data for fluxgen's GGUF block decoders, made with ggml's own reference code.
// Built and run outside the tree by tools/gen_gguf_goldens.sh against ggml commit
// d99724f2b141fed9e1a9f402213506c081433465 (github.com/ggml-org/ggml, src/ggml-quants.c).
// For each type it writes tests/data/gguf/<type>.blocks (the raw blocks quantize_row_*_ref made
// from a fixed pseudo-random input) and <type>.f32 (what dequantize_row_* decodes them to).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "ggml-impl.h"
#include "ggml-quants.h"

// ggml-quants.c only calls these on its validation paths; the generator never reaches them.
void ggml_abort(const char* file, int line, const char* fmt, ...) { fprintf(stderr, "abort %s:%d %s\n", file, line, fmt); abort(); }
size_t ggml_row_size(enum ggml_type t, int64_t n) { (void)t; (void)n; abort(); }
const char* ggml_type_name(enum ggml_type t) { (void)t; return "?"; }
size_t ggml_type_size(enum ggml_type t) { (void)t; abort(); }

enum { N = 512 };  // two super-blocks of 256, sixteen blocks of 32

static uint32_t state = 12345u;
static float next_uniform(void) {  // in [-1, 1)
  state = state * 1664525u + 1013904223u;
  return (float)((state >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

static void make_input(float* x) {
  for (int i = 0; i < N; ++i) {
    // Scale changes every 32 elements so blocks see very different ranges; one all-zero block
    // and one block with a single large outlier exercise the edge cases.
    const int block = i / 32;
    float scale = powf(2.0f, (float)(block % 7) - 3.0f);
    float v = next_uniform() * scale;
    if (block == 5) v = 0.0f;
    if (i == 9 * 32 + 3) v = 40.0f;
    if (block == 11) v = fabsf(v);  // one-signed block (Q4_1/Q5_1 min path)
    x[i] = v;
  }
}

static void write_file(const char* dir, const char* name, const char* ext, const void* p, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
  FILE* f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
  fclose(f);
}

#define EMIT(NAME, BLOCK, QK, QUANT, DEQUANT)                              \
  do {                                                                    \
    BLOCK blocks[N / QK];                                                 \
    float out[N];                                                         \
    QUANT(x, blocks, N);                                                  \
    DEQUANT(blocks, out, N);                                              \
    write_file(dir, NAME, "blocks", blocks, sizeof blocks);               \
    write_file(dir, NAME, "f32", out, sizeof out);                        \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s OUTDIR\n", argv[0]); return 2; }
  const char* dir = argv[1];
  float x[N];
  make_input(x);
  write_file(dir, "input", "f32", x, sizeof x);

  {
    ggml_fp16_t h[N]; ggml_bf16_t b[N]; float oh[N], ob[N];
    for (int i = 0; i < N; ++i) {
      h[i] = ggml_compute_fp32_to_fp16(x[i]); oh[i] = ggml_compute_fp16_to_fp32(h[i]);
      b[i] = ggml_compute_fp32_to_bf16(x[i]); ob[i] = ggml_compute_bf16_to_fp32(b[i]);
    }
    write_file(dir, "f16", "blocks", h, sizeof h); write_file(dir, "f16", "f32", oh, sizeof oh);
    write_file(dir, "bf16", "blocks", b, sizeof b); write_file(dir, "bf16", "f32", ob, sizeof ob);
  }
  EMIT("q8_0", block_q8_0, QK8_0, quantize_row_q8_0_ref, dequantize_row_q8_0);
  EMIT("q4_0", block_q4_0, QK4_0, quantize_row_q4_0_ref, dequantize_row_q4_0);
  EMIT("q4_1", block_q4_1, QK4_1, quantize_row_q4_1_ref, dequantize_row_q4_1);
  EMIT("q5_0", block_q5_0, QK5_0, quantize_row_q5_0_ref, dequantize_row_q5_0);
  EMIT("q5_1", block_q5_1, QK5_1, quantize_row_q5_1_ref, dequantize_row_q5_1);
  EMIT("q2_k", block_q2_K, QK_K, quantize_row_q2_K_ref, dequantize_row_q2_K);
  EMIT("q3_k", block_q3_K, QK_K, quantize_row_q3_K_ref, dequantize_row_q3_K);
  EMIT("q4_k", block_q4_K, QK_K, quantize_row_q4_K_ref, dequantize_row_q4_K);
  EMIT("q5_k", block_q5_K, QK_K, quantize_row_q5_K_ref, dequantize_row_q5_K);
  EMIT("q6_k", block_q6_K, QK_K, quantize_row_q6_K_ref, dequantize_row_q6_K);
  return 0;
}
