#pragma once
// Finds out what layout a path holds (MovieLens 1M/latest/100K, sequence file, prepared dataset,
// generic CSV/TSV) and reads it into a RawLog.
#include <string>

#include "data/dataset.hpp"
#include "data/prepared_format.hpp"
#include "data/readers.hpp"

namespace pocketrec {

struct LoadOptions {
  std::string format = "auto";  // auto | ml-1m | ml-latest | ml-100k | sequence | csv | prepared
  bool strict = false;
  ColumnSpec columns;  // for csv
  DatasetFilters filters;
  PreparedPart part;  // a sharded prepared dataset: which shards to read (the others are not read)
};

// The layout names accepted by --format.
const std::vector<std::string>& known_formats();
std::string detect_format(const std::string& path);
// With a sink, events go to it as they are read instead of into RawLog::events. A --min-rating
// filter on a log without ratings is an error.
RawLog load_raw_log(const std::string& path, const LoadOptions& options,
                    std::function<void(const RawEvent&)> sink = {});
Dataset load_dataset(const std::string& path, const LoadOptions& options);

// Writes a dataset in memory as a prepared dataset (data/prepared_format.hpp), which load_dataset
// reads back (format "prepared"). Version 1 (events.tsv) is still read.
void write_prepared_dataset(const Dataset& dataset, const std::string& folder, size_t shards = 1,
                            const DatasetFilters& applied = {});

}  // namespace pocketrec
