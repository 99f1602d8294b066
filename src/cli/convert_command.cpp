// `fluxgen convert IN.pt|.pth OUT.safetensors`: a torch checkpoint read as data (no code runs),
// written as safetensors with the names the reader gives (state_dict names, nested dicts joined
// with '.', module trees by their state_dict() names). The output appears atomically.
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "io/safetensors.h"
#include "io/torch_pickle/torch_store.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::cli {

void register_convert_command(CLI::App& app) {
  struct Args {
    std::string input, output;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a PyTorch checkpoint (.pt/.pth/.ckpt/.bin, read as data: nothing in it is executed) to "
                 ".safetensors");
  cmd->add_option("input", args->input, "torch.save file (zip or legacy format)")->required();
  cmd->add_option("output", args->output, "Output .safetensors file (written atomically)")->required();
  cmd->callback([args] {
    const std::string lower = to_lower(args->output);
    check(ends_with(lower, ".safetensors") || ends_with(lower, ".sft"), args->output,
          ": the output must be a .safetensors file");
    const auto store = open_torch_checkpoint_store(args->input);
    const auto names = store->names();
    check(!names.empty(), args->input, ": the checkpoint holds no tensors");
    std::vector<std::pair<std::string, Tensor>> tensors;
    std::map<std::string, size_t> per_dtype;
    uint64_t bytes = 0;
    for (const auto& name : names) {
      Tensor t = store->get(name);
      ++per_dtype[std::string(dtype_name(t.dtype()))];
      bytes += t.nbytes();
      tensors.emplace_back(name, std::move(t));
    }
    write_safetensors(args->output, tensors, {{"format", "pt"}, {"converted_from", args->input}});
    std::string dtypes;
    for (const auto& [name, count] : per_dtype) dtypes += (dtypes.empty() ? "" : ", ") + std::to_string(count) + " " + name;
    std::printf("%s: %zu tensors (%s), %s -> %s\n", args->input.c_str(), names.size(), dtypes.c_str(),
                format_bytes(bytes).c_str(), args->output.c_str());
  });
}

}  // namespace fluxgen::cli
