#pragma once
// Every output path is checked before any work starts: a swapped argument must not overwrite an
// input, and a typo in a folder name must not cost an hour of training before it fails.
#include <string>
#include <vector>

namespace pocketrec::cli {

struct OutputSpec {
  std::string path;
  std::string option;                   // "--out", for messages
  std::vector<std::string> extensions;  // accepted endings (".pkrec"); empty: any
  std::string kind;                     // "a .pkrec model", for messages
  bool folder = false;                  // the output is a folder (prepare, synth)
};

// Throws a clear Error when `spec.path` is one of `inputs` (or a data file inside an input
// folder), is a folder where a file is written (or the reverse), has the wrong extension (unless
// `force`), or lies in a folder that cannot be written. Creates missing parent folders.
void check_output_path(const OutputSpec& spec, const std::vector<std::string>& inputs, bool force);

// A prepared dataset replaces what a folder held: refuse a folder with other files in it (it is
// not an earlier prepared dataset) unless `force`.
void check_prepared_folder(const std::string& folder, bool force);

}  // namespace pocketrec::cli
