// One data reader per binary (POCKETREC_FUZZ_FORMAT picks it, POCKETREC_FUZZ_SUFFIX names the
// file so detection sees the right extension), then the dataset stage on what it read.
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "data/dataset_source.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pocketrec;
  const std::string path = fuzz::input_file(data, size, POCKETREC_FUZZ_SUFFIX);
  try {
    LoadOptions options;
    options.format = POCKETREC_FUZZ_FORMAT;
    options.filters.min_timeline = 1;
    Dataset dataset = load_dataset(path, options);
    (void)dataset.summary();
  } catch (const Error&) {
  }
  return 0;
}
