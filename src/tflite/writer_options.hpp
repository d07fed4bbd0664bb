#pragma once
// Typed options for GraphWriter::add_op: options<tflite::Conv2DOptions>([](auto& fbb) {...}).
#include "tflite/writer.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl {

template <typename T, typename F>
OptionsMaker options(F make) {
  return [make](flatbuffers::FlatBufferBuilder& fbb) -> std::pair<uint8_t, uint32_t> {
    flatbuffers::Offset<T> offset = make(fbb);
    return {static_cast<uint8_t>(tflite::BuiltinOptionsTraits<T>::enum_value), offset.o};
  };
}

inline int op(tflite::BuiltinOperator code) {
  return static_cast<int>(code);
}

}  // namespace pocketrec::tfl
