#pragma once
// The Android sample's sorted_movie_vocab.json ([{"id", "title", "genres", "count"}]), the
// catalog the reference's starter models need: parsed here for `serve`, `recommend` and the
// WebAssembly runtime alike.
#include <string>
#include <string_view>
#include <vector>

#include "pocketrec/recommender.hpp"

namespace pocketrec::serve {

// Throws Error naming `origin` (and the entry) when the text is not such a catalog.
std::vector<Item> parse_movie_vocab(std::string_view json, const std::string& origin);

}  // namespace pocketrec::serve
