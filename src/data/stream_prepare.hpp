#pragma once
// `prepare` for logs of any size: reads the log once into an external sort (bounded memory: the
// sort buffer plus the id tables), then merges the sorted runs twice, first to apply the filters
// and count what stays, then to write the sharded prepared dataset (data/prepared_format.hpp).
// It applies the same steps as build_dataset, so the result equals load_dataset's.
#include <cstddef>
#include <string>

#include "data/dataset_source.hpp"

namespace pocketrec {

struct StreamPrepareOptions {
  size_t memory_bytes = size_t{1} << 30;  // the sort buffer
  size_t shards = 1;
  size_t max_open_runs = 64;
  bool events_tsv = false;  // also write events.tsv (data/prepared_format.hpp)
  bool progress = true;
};

struct StreamPrepareResult {
  std::string format;
  size_t users = 0, items = 0, interactions = 0;
  size_t shortest = 0, longest = 0;
  size_t events_read = 0;  // before filters
  size_t runs = 0;         // sorted runs spilled to disk (0: it fit in the buffer)
  ReadReport report;
};

// Reads `input` and, unless `folder` is empty, writes the prepared dataset there.
StreamPrepareResult prepare_streaming(const std::string& input, const LoadOptions& load,
                                      const std::string& folder,
                                      const StreamPrepareOptions& options);

}  // namespace pocketrec
