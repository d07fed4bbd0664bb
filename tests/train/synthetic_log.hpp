#pragma once
// The synthetic MovieLens-shaped logs the training tests learn from, written to a scratch folder
// and read back through the ordinary reader.
#include <string>

#include "data/dataset_source.hpp"
#include "data/synth.hpp"
#include "test_util.hpp"

namespace pocketrec::testing {

inline Dataset synthetic_log(const std::string& name, int users, int items, int mean_length) {
  auto dir = scratch_dir(name);
  SynthOptions options;
  options.users = users;
  options.items = items;
  options.mean_length = mean_length;
  write_synth_dataset(options, dir.string());
  return load_dataset(dir.string(), {});
}

}  // namespace pocketrec::testing
