// How much memory the runtime holds for a .tflite, as an app sees it: a process that links only
// pocketrec_runtime loads the model, answers one query per session, and prints its resident
// memory (VmRSS) and peak (VmHWM) before and after, as JSON. Usage: MODEL.tflite [SESSIONS]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/memory.hpp"
#include "pocketrec/recommender.hpp"

namespace {

double status_mib(const char* field) {
  return pocketrec::memory_detail::status_field_mib(field);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.tflite [SESSIONS]\n", argv[0]);
    return 2;
  }
  const int sessions = argc > 2 ? std::atoi(argv[2]) : 1;
  try {
    const double before = status_mib("VmRSS:");
    auto model = pocketrec::Recommender::load_file(argv[1]);
    const double loaded = status_mib("VmRSS:");
    const double loaded_file = status_mib("RssFile:"), loaded_anon = status_mib("RssAnon:");
    const double load_peak = status_mib("VmHWM:");
    std::vector<std::unique_ptr<pocketrec::Session>> open;
    std::vector<pocketrec::Result> out;
    const uint32_t history[] = {0, 1, 2};
    for (int s = 0; s < sessions; ++s) {
      open.push_back(model->new_session());
      pocketrec::Query query;
      query.history = history;
      open.back()->recommend(query, out);
    }
    const auto& summary = model->summary();
    std::printf(
        "{\"file_bytes\": %zu, \"table_bytes\": %zu, \"filter_bytes\": %zu, \"items\": %zu, "
        "\"prefilter\": %s, "
        "\"rss_before_mib\": %.1f, \"rss_loaded_mib\": %.1f, \"rss_loaded_file_mib\": %.1f, "
        "\"rss_loaded_anon_mib\": %.1f, \"peak_loading_mib\": %.1f, "
        "\"rss_after_queries_mib\": %.1f, \"peak_mib\": %.1f, \"sessions\": %d}\n",
        summary.file_bytes, summary.table_bytes, summary.filter_bytes, summary.items,
        summary.prefilter ? "true" : "false", before, loaded, loaded_file, loaded_anon, load_peak,
        status_mib("VmRSS:"), status_mib("VmHWM:"), sessions);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
