#include "model/choices.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.hpp"

namespace pocketrec {
namespace {

template <typename E>
struct Names;

template <>
struct Names<EncoderKind> {
  static constexpr std::pair<EncoderKind, std::string_view> kTable[] = {
      {EncoderKind::kBow, "bow"},
      {EncoderKind::kCnn, "cnn"},
      {EncoderKind::kGru, "gru"},
      {EncoderKind::kLstm, "lstm"},
      {EncoderKind::kAttention, "attention"}};
};
template <>
struct Names<Activation> {
  static constexpr std::pair<Activation, std::string_view> kTable[] = {{Activation::kGelu, "gelu"},
                                                                       {Activation::kRelu, "relu"}};
};
template <>
struct Names<InitKind> {
  static constexpr std::pair<InitKind, std::string_view> kTable[] = {
      {InitKind::kNormal, "normal"}, {InitKind::kTruncatedNormal, "truncated-normal"}};
};
template <>
struct Names<OptimizerKind> {
  static constexpr std::pair<OptimizerKind, std::string_view> kTable[] = {
      {OptimizerKind::kAdam, "adam"}, {OptimizerKind::kAdagrad, "adagrad"}};
};
template <>
struct Names<LossKind> {
  static constexpr std::pair<LossKind, std::string_view> kTable[] = {
      {LossKind::kFull, "full"}, {LossKind::kSampled, "sampled"}};
};

template <typename E>
std::string_view name_of(E value) {
  for (const auto& [v, n] : Names<E>::kTable) {
    if (v == value) return n;
  }
  return "?";
}

template <typename E>
std::string all_names() {
  std::string names;
  for (const auto& entry : Names<E>::kTable) {
    if (!names.empty()) names += ", ";
    names += entry.second;
  }
  return names;
}

template <typename E>
E parse_name(std::string_view text, std::string_view what) {
  for (const auto& [v, n] : Names<E>::kTable) {
    if (n == text) return v;
  }
  throw Error("unknown " + std::string(what) + " '" + std::string(text) + "' (" + all_names<E>() +
              ")");
}

template <typename E>
void read_name(const nlohmann::json& json, E& value, std::string_view what) {
  if (!json.is_string()) throw Error(std::string(what) + ": expected a name, got " + json.dump());
  value = parse_name<E>(json.get<std::string>(), what);
}

}  // namespace

std::string_view name(EncoderKind value) {
  return name_of(value);
}
std::string_view name(Activation value) {
  return name_of(value);
}
std::string_view name(InitKind value) {
  return name_of(value);
}
std::string_view name(OptimizerKind value) {
  return name_of(value);
}
std::string_view name(LossKind value) {
  return name_of(value);
}

EncoderKind parse_encoder(std::string_view text, std::string_view what) {
  return parse_name<EncoderKind>(text, what);
}
Activation parse_activation(std::string_view text, std::string_view what) {
  return parse_name<Activation>(text, what);
}
InitKind parse_init(std::string_view text, std::string_view what) {
  return parse_name<InitKind>(text, what);
}
OptimizerKind parse_optimizer(std::string_view text, std::string_view what) {
  return parse_name<OptimizerKind>(text, what);
}
LossKind parse_loss(std::string_view text, std::string_view what) {
  return parse_name<LossKind>(text, what);
}

std::string encoder_names() {
  return all_names<EncoderKind>();
}

void to_json(nlohmann::json& json, EncoderKind value) {
  json = std::string(name(value));
}
void from_json(const nlohmann::json& json, EncoderKind& value) {
  read_name(json, value, "encoder");
}
void to_json(nlohmann::json& json, Activation value) {
  json = std::string(name(value));
}
void from_json(const nlohmann::json& json, Activation& value) {
  read_name(json, value, "activation");
}
void to_json(nlohmann::json& json, InitKind value) {
  json = std::string(name(value));
}
void from_json(const nlohmann::json& json, InitKind& value) {
  read_name(json, value, "init");
}
void to_json(nlohmann::json& json, OptimizerKind value) {
  json = std::string(name(value));
}
void from_json(const nlohmann::json& json, OptimizerKind& value) {
  read_name(json, value, "optimizer");
}
void to_json(nlohmann::json& json, LossKind value) {
  json = std::string(name(value));
}
void from_json(const nlohmann::json& json, LossKind& value) {
  read_name(json, value, "loss");
}

}  // namespace pocketrec
