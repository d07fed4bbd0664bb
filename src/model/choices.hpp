#pragma once
// The configuration's named choices as enums: parsed from their names (CLI options, model files)
// here and only here, compared as values everywhere else.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace pocketrec {

enum class EncoderKind { kBow, kCnn, kGru, kLstm, kAttention };
enum class Activation { kGelu, kRelu };
enum class InitKind { kNormal, kTruncatedNormal };
enum class OptimizerKind { kAdam, kAdagrad };
enum class LossKind { kFull, kSampled };

// The names the CLI takes and model files store ("gru", "truncated-normal", ...).
std::string_view name(EncoderKind value);
std::string_view name(Activation value);
std::string_view name(InitKind value);
std::string_view name(OptimizerKind value);
std::string_view name(LossKind value);

// Each parse throws Error("unknown <what> '<text>' (<the names>)") for any other text.
EncoderKind parse_encoder(std::string_view text, std::string_view what = "encoder");
Activation parse_activation(std::string_view text, std::string_view what = "activation");
InitKind parse_init(std::string_view text, std::string_view what = "init");
OptimizerKind parse_optimizer(std::string_view text, std::string_view what = "optimizer");
LossKind parse_loss(std::string_view text, std::string_view what = "loss");

// "bow, cnn, gru, lstm, attention": for help texts.
std::string encoder_names();

inline bool is_recurrent(EncoderKind kind) {
  return kind == EncoderKind::kGru || kind == EncoderKind::kLstm;
}

// JSON carries the names; a name the parser does not know is an error (model files are
// untrusted input).
void to_json(nlohmann::json& json, EncoderKind value);
void from_json(const nlohmann::json& json, EncoderKind& value);
void to_json(nlohmann::json& json, Activation value);
void from_json(const nlohmann::json& json, Activation& value);
void to_json(nlohmann::json& json, InitKind value);
void from_json(const nlohmann::json& json, InitKind& value);
void to_json(nlohmann::json& json, OptimizerKind value);
void from_json(const nlohmann::json& json, OptimizerKind& value);
void to_json(nlohmann::json& json, LossKind value);
void from_json(const nlohmann::json& json, LossKind& value);

}  // namespace pocketrec
