#pragma once
// Names of the tensors in pocketrec's exported graphs that the runtime's fused encoders look up:
// written by the exporter (src/export) and read by the matchers (src/runtime/fused_*.cpp) from
// this one place, so the two cannot drift apart. A graph whose names match is still only used
// after the fused encoder reproduced the interpreter's user vector bit for bit.
#include <string>
#include <string_view>

namespace pocketrec::graph_names {

inline constexpr std::string_view kIds = "context_row";     // [1, L] ids after the id guard
inline constexpr std::string_view kIsItem = "is_item";      // [rows] 1 for an item, 0 otherwise
inline constexpr std::string_view kValid = "valid";         // [1, L] is_item of each position
inline constexpr std::string_view kEmbedded = "embedded";   // [1, L, E] context embeddings
inline constexpr std::string_view kStepMask = "step_mask";  // recurrent exports: [L, 1] valid

// Recurrent exports: the state h after step t ("gru/t9/h").
inline std::string rnn_state(std::string_view prefix, int step) {
  return std::string(prefix) + "/t" + std::to_string(step) + "/h";
}

// Attention exports: constants and weights under "attention/".
inline std::string attention(std::string_view leaf) {
  return "attention/" + std::string(leaf);
}
inline std::string attention_block(int block) {  // "attention/block_0/"
  return attention("block_" + std::to_string(block) + "/");
}
inline std::string attention_head(int block, int head) {  // "attention/block_0/head_1"
  return attention_block(block) + "head_" + std::to_string(head);
}
// Leaves: attention(kPosition), attention_block(b) + kLn1, attention_head(b, h) + kQuery, ...
inline constexpr std::string_view kInputScale = "input_scale", kPosition = "position", kOne = "one",
                                  kMasked = "masked", kZero = "zero",
                                  kQueryPositions = "query_positions",
                                  kKeyPositions = "key_positions", kScoreScale = "score_scale",
                                  kFinalLn = "final_ln";
inline constexpr std::string_view kLn1 = "ln1", kLn2 = "ln2", kOut = "out", kFfn1 = "ffn1",
                                  kFfn2 = "ffn2", kGelu = "ffn1/gelu";
inline constexpr std::string_view kQuery = "/query", kKey = "/key", kValue = "/value",
                                  kWeights = "/weights";
// A FULLY_CONNECTED layer's bias, under the layer's name: "<layer>/bias".
inline constexpr std::string_view kBias = "/bias";
// LayerNorm parts under its name: "<ln>/gamma", "<ln>/beta", "<ln>/epsilon", "<ln>/out".
inline constexpr std::string_view kGamma = "/gamma", kBeta = "/beta", kEpsilon = "/epsilon",
                                  kLnOut = "/out";

}  // namespace pocketrec::graph_names
