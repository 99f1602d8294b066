// CUDA graphs on the card (backend/cuda/cuda_backend_graphs.cpp): a captured run of ops replays
// with whatever its input tensor holds at replay time, its temporaries are not handed to tensors
// made after the capture (the graph's pool), an aborted capture leaves the backend working, and
// the graph's memory goes back to the cache with it. The model-level protocol (a FLUX step as a
// graph) is the "flux step graph (replayed)" row of the fixture parity.
#include "backend/cuda/cuda_context.h"
#include "gpu_check.h"
#include "op_support.h"

namespace fluxgen::gpu_test {
namespace {

// A few ops of a block: two linears, an activation, a gated sum (temporaries between them).
Tensor block(Backend& b, const Tensor& x, const Tensor& w1, const Tensor& w2) {
  const Tensor h = b.activation(b.linear(x, w1, nullptr), Activation::SiLU);
  return b.gated_add(x, b.affine(x, 0.5f, 0.25f), b.linear(h, w2, nullptr));
}

GPU_TEST(graph_replays_new_inputs_and_keeps_its_blocks) {
  use(modes()[0]);  // fp32 activations: the graph's answers equal the CPU's to fp32 rounding
  cuda::CudaBackend& g = gpu();
  const Tensor w1 = random({96, 64}, 41, 0.1f), w2 = random({64, 96}, 42, 0.1f);
  const Tensor dw1 = g.upload_weight(w1), dw2 = g.upload_weight(w2);
  const Tensor x0 = random({1, 40, 64}, 43), x1 = random({1, 40, 64}, 44);
  const Tensor input = g.upload(x0);
  block(g, input, dw1, dw2);  // warm-up: GEMM plans and buffers exist before the capture
  CHECK_TRUE(g.supports_graphs());
  uint64_t reserved = 0;
  {
    g.begin_capture();
    const Tensor out = block(g, input, dw1, dw2);
    std::unique_ptr<DeviceGraph> graph = g.end_capture();
    graph->replay();
    expect_close("graph, first input", out, block(cpu(), x0, w1, w2), modes()[0].tolerance);

    // New values in the input tensor: the replay reads them.
    g.copy_into(input, g.upload(x1));
    graph->replay();
    expect_close("graph, second input", out, block(cpu(), x1, w1, w2), modes()[0].tolerance);

    // Tensors made now get other blocks than the graph's temporaries: filling them changes nothing.
    std::vector<Tensor> others;
    for (int i = 0; i < 32; ++i)
      others.push_back(g.affine(g.upload(random({1, 40, 96}, 50 + static_cast<uint64_t>(i))), 0.0f, 7.0f));
    graph->replay();
    expect_close("graph after other allocations", out, block(cpu(), x1, w1, w2), modes()[0].tolerance);
    expect_close("copy of the output", g.copy(out), block(cpu(), x1, w1, w2), modes()[0].tolerance);
    CHECK_THROWS(g.copy_into(input, g.upload(random({1, 41, 64}, 45))));
    reserved = g.memory().reserved;
  }
  // The graph and its output are gone: its blocks serve plain work again, and the same work needs
  // no new memory from the driver.
  block(g, input, dw1, dw2);
  cuda::Context::get().synchronize();
  CHECK_TRUE(g.memory().reserved == reserved);
}

GPU_TEST(an_aborted_capture_leaves_the_backend_working) {
  use(modes()[1]);
  cuda::CudaBackend& g = gpu();
  const Tensor x = random({2, 16, 32}, 61);
  const Tensor dx = g.upload(x);
  g.begin_capture();
  g.affine(dx, 2.0f, 1.0f);
  g.abort_capture();
  expect_close("eager op after an aborted capture", g.affine(dx, 2.0f, 1.0f), cpu().affine(x, 2.0f, 1.0f),
               modes()[1].tolerance);
  // A download under capture cannot be captured: end_capture reports it, the backend goes on.
  g.begin_capture();
  bool failed = false;
  try {
    g.download(g.affine(dx, 3.0f, 0.0f));
    g.end_capture();
  } catch (const Error&) {
    failed = true;
    g.abort_capture();
  }
  CHECK_TRUE(failed);
  expect_close("eager op after a failed capture", g.affine(dx, 3.0f, 0.0f), cpu().affine(x, 3.0f, 0.0f),
               modes()[1].tolerance);
}

}  // namespace
}  // namespace fluxgen::gpu_test
