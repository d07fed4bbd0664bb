#pragma once
// Finds out what layout a path holds (MovieLens 1M/latest/100K, sequence file, prepared dataset,
// generic CSV/TSV) and reads it into a RawLog.
#include <string>

#include "data/dataset.hpp"
#include "data/readers.hpp"

namespace pocketrec {

struct LoadOptions {
  std::string format = "auto";  // auto | ml-1m | ml-latest | ml-100k | sequence | csv | prepared
  bool strict = false;
  ColumnSpec columns;  // for csv
  DatasetFilters filters;
};

// The layout names accepted by --format.
const std::vector<std::string>& known_formats();
std::string detect_format(const std::string& path);
RawLog load_raw_log(const std::string& path, const LoadOptions& options);
Dataset load_dataset(const std::string& path, const LoadOptions& options);

// A prepared dataset: a folder with manifest.json, items.tsv and events.tsv, written atomically,
// which load_dataset reads back (format "prepared").
void write_prepared_dataset(const Dataset& dataset, const std::string& folder);

}  // namespace pocketrec
