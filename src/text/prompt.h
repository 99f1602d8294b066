// A1111/Forge prompt handling for FLUX: extra-network tags are taken out of the text.
//
//   <lora:NAME>            LoRA NAME at weight 1
//   <lora:NAME:0.8>        weight 0.8 (text encoder and transformer alike)
//   <lora:NAME:0.8:0.6>    A1111's te/unet pair: text-encoder parts 0.8, the FLUX transformer 0.6
//   <lora:NAME:te=0.8:unet=0.6>  the same, named
//   <lyco:NAME:...>        the same as <lora:...> (A1111's LyCORIS alias)
//
// A tag is `<` word `:` anything but `>` `>` (A1111's `<(\w+):([^>]+)>`); every such tag is
// removed from the text, as A1111 does. Other networks (<hypernet:...>) are removed with a
// warning, since FLUX has none. The text is otherwise left exactly as written: A1111 emphasis
// such as `(word:1.2)` or `[word]` stays literal text for both encoders (docs/prompts.md).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lora/lora_request.h"

namespace fluxgen {

struct PromptLora {
  std::string name;                   // as written: a file stem (or path) to resolve
  float weight = 1.0f;                // the FLUX transformer's multiplier (A1111's unet)
  float text_encoder_weight = 1.0f;   // for the LoRA's text-encoder parts (A1111's te)
  std::string tag;                    // the tag as written, for messages

  lora::LoraRequest request() const { return {name, weight}; }
};

struct ParsedPrompt {
  std::string text;                   // the prompt with every tag removed
  std::vector<PromptLora> loras;      // in order of appearance
  std::vector<std::string> warnings;  // tags that were removed but do nothing
};

// Throws an Error naming the tag for a LoRA tag without a name or with a weight that is not a
// finite number.
ParsedPrompt parse_prompt(std::string_view prompt);

}  // namespace fluxgen
