// The reference's protobuf-text input config (feature groups) applied to a model config.
#include <string>

#include "core/error.hpp"
#include "model/input_config.hpp"
#include "model/model_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    pocketrec::ModelConfig config;
    pocketrec::apply_input_config_text(std::string(reinterpret_cast<const char*>(data), size),
                                       "fuzz.pbtxt", config);
    config.validate();
  } catch (const pocketrec::Error&) {
  }
  return 0;
}
