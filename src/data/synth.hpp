#pragma once
// A deterministic, MovieLens-shaped synthetic dataset: users whose tastes drift across genre
// clusters, series of items watched in order, long-tail popularity, titles and genres. Written in
// the MovieLens 1M layout, so it goes through the same reader as real data.
#include <cstdint>
#include <string>

namespace pocketrec {

struct SynthOptions {
  int users = 1500;
  int items = 1200;
  int mean_length = 60;  // interactions per user, on average (at least 5)
  uint64_t seed = 42;
  bool progress = false;
};

// Writes ratings.dat, movies.dat and README into `folder`; returns the number of ratings.
size_t write_synth_dataset(const SynthOptions& options, const std::string& folder);

}  // namespace pocketrec
