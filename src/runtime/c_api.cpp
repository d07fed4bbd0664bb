// The C API over Recommender/Session: every entry point catches everything and turns it into a
// status code plus a thread-local message.
#include <cstring>
#include <mutex>
#include <new>

#include "core/error.hpp"
#include "pocketrec/pocketrec.h"
#include "pocketrec/recommender.hpp"
#include "runtime/recommender_impl.hpp"
#include "runtime/score_table.hpp"

struct pr_model {
  std::shared_ptr<const pocketrec::Recommender> recommender;
};

struct pr_session {
  const pr_model* model;
  std::unique_ptr<pocketrec::Session> session;
  std::vector<uint32_t> history, allowed, blocked;
  std::vector<pocketrec::Result> results;
};

namespace {

thread_local std::string last_error;
std::mutex log_mutex;
pr_log_fn log_callback = nullptr;
void* log_user = nullptr;

void log(int level, const std::string& message) {
  std::lock_guard<std::mutex> lock(log_mutex);
  if (log_callback) log_callback(level, message.c_str(), log_user);
}

pr_status fail(pr_status status, const std::string& message) {
  last_error = message;
  log(PR_LOG_ERROR, message);
  return status;
}

// Runs `body`, mapping exceptions to statuses.
template <typename F>
pr_status guarded(pr_status on_error, F body) {
  try {
    last_error.clear();
    return body();
  } catch (const std::bad_alloc&) {
    return fail(PR_OUT_OF_MEMORY, "out of memory");
  } catch (const pocketrec::Error& e) {
    return fail(on_error, e.what());
  } catch (const std::exception& e) {
    return fail(PR_INTERNAL, e.what());
  } catch (...) {
    return fail(PR_INTERNAL, "unknown failure");
  }
}

// Maps ids to item indices; unknown ids are skipped and logged.
void resolve(const pr_model* model, const char* const* ids, size_t count, const char* what,
             std::vector<uint32_t>& out) {
  out.clear();
  for (size_t i = 0; i < count; ++i) {
    if (!ids[i])
      throw pocketrec::Error(std::string(what) + " id " + std::to_string(i) + " is NULL");
    if (auto index = model->recommender->find(ids[i])) {
      out.push_back(*index);
    } else {
      log(PR_LOG_WARNING, std::string("unknown ") + what + " id '" + ids[i] + "' ignored");
    }
  }
}

pr_status copy_results(pr_session* s, pr_result* results, size_t capacity, size_t* count) {
  if (s->results.size() > capacity) {
    return fail(PR_BUFFER_TOO_SMALL, "results capacity " + std::to_string(capacity) +
                                         " is below the " + std::to_string(s->results.size()) +
                                         " results");
  }
  for (size_t i = 0; i < s->results.size(); ++i) {
    results[i].index = s->results[i].item;
    results[i].id = s->model->recommender->item_id(s->results[i].item).data();
    results[i].score = s->results[i].score;
  }
  *count = s->results.size();
  return PR_OK;
}

}  // namespace

namespace {

pocketrec::ModelLoadOptions load_options(const pr_load_options* options) {
  pocketrec::ModelLoadOptions o;
  if (options) o.prefilter = options->prefilter != 0;
  return o;
}

}  // namespace

extern "C" {

const char* pr_version(void) {
  return POCKETREC_VERSION_STRING;
}

const char* pr_build_info(void) {
  static const std::string info = [] {
    std::string compiler;
#if defined(__clang__)
    compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    compiler = "GCC " __VERSION__;
#else
    compiler = "unknown compiler";
#endif
    return "pocketrec " POCKETREC_VERSION_STRING "; " + compiler + "; SIMD " +
           pocketrec::runtime::simd_target();
  }();
  return info.c_str();
}

const char* pr_status_name(pr_status status) {
  switch (status) {
    case PR_OK:
      return "ok";
    case PR_INVALID_ARGUMENT:
      return "invalid argument";
    case PR_INVALID_MODEL:
      return "invalid model";
    case PR_UNKNOWN_ITEM:
      return "unknown item";
    case PR_BUFFER_TOO_SMALL:
      return "buffer too small";
    case PR_OUT_OF_MEMORY:
      return "out of memory";
    case PR_INTERNAL:
      return "internal error";
  }
  return "unknown status";
}

const char* pr_last_error(void) {
  return last_error.c_str();
}

void pr_set_log_callback(pr_log_fn callback, void* user_data) {
  std::lock_guard<std::mutex> lock(log_mutex);
  log_callback = callback;
  log_user = user_data;
}

void pr_load_options_init(pr_load_options* options) {
  if (!options) return;
  std::memset(options, 0, sizeof *options);
  options->prefilter = 1;
}

pr_status pr_model_load_file_with(const char* path, const pr_load_options* options,
                                  pr_model** out) {
  if (!path || !out) return fail(PR_INVALID_ARGUMENT, "pr_model_load_file: NULL argument");
  *out = nullptr;
  return guarded(PR_INVALID_MODEL, [&] {
    auto model = std::make_unique<pr_model>();
    model->recommender = pocketrec::Recommender::load_file(path, load_options(options));
    *out = model.release();
    return PR_OK;
  });
}

pr_status pr_model_load_buffer_with(const void* data, size_t size, const pr_load_options* options,
                                    pr_model** out) {
  if (!data || !out) return fail(PR_INVALID_ARGUMENT, "pr_model_load_buffer: NULL argument");
  *out = nullptr;
  return guarded(PR_INVALID_MODEL, [&] {
    auto model = std::make_unique<pr_model>();
    model->recommender =
        pocketrec::Recommender::load_buffer(data, size, "model buffer", load_options(options));
    *out = model.release();
    return PR_OK;
  });
}

pr_status pr_model_load_file(const char* path, pr_model** out) {
  return pr_model_load_file_with(path, nullptr, out);
}

pr_status pr_model_load_buffer(const void* data, size_t size, pr_model** out) {
  return pr_model_load_buffer_with(data, size, nullptr, out);
}

void pr_model_free(pr_model* model) {
  delete model;
}

pr_status pr_model_get_info(const pr_model* model, pr_model_info* out) {
  if (!model || !out) return fail(PR_INVALID_ARGUMENT, "pr_model_get_info: NULL argument");
  const auto& s = model->recommender->summary();
  out->encoder = s.encoder.c_str();
  out->layout = s.layout.c_str();
  out->context_length = s.context_length;
  out->dim = s.dim;
  out->items = s.items;
  out->quantized = s.quantized;
  out->fast_path = s.fast_path;
  out->file_bytes = s.file_bytes;
  out->prefilter = s.prefilter;
  out->table_bytes = s.table_bytes;
  return PR_OK;
}

size_t pr_item_count(const pr_model* model) {
  return model ? model->recommender->item_count() : 0;
}

pr_status pr_item_find(const pr_model* model, const char* id, uint32_t* index) {
  if (!model || !id || !index) return fail(PR_INVALID_ARGUMENT, "pr_item_find: NULL argument");
  auto found = model->recommender->find(id);
  if (!found) return fail(PR_UNKNOWN_ITEM, std::string("unknown item id '") + id + "'");
  *index = *found;
  return PR_OK;
}

pr_status pr_item_get(const pr_model* model, uint32_t index, const char** id, const char** title) {
  if (!model) return fail(PR_INVALID_ARGUMENT, "pr_item_get: NULL model");
  if (index >= model->recommender->item_count()) {
    return fail(PR_INVALID_ARGUMENT, "item index " + std::to_string(index) + " is out of range");
  }
  const auto& items = pocketrec::RecommenderAccess::impl(*model->recommender).items;
  if (id) *id = items.id(index).data();  // NUL-terminated in the table
  if (title) *title = items.title(index).data();
  return PR_OK;
}

size_t pr_item_genre_count(const pr_model* model, uint32_t index) {
  if (!model || index >= model->recommender->item_count()) return 0;
  return pocketrec::RecommenderAccess::impl(*model->recommender).items.genre_count(index);
}

const char* pr_item_genre(const pr_model* model, uint32_t index, size_t genre) {
  if (!model || index >= model->recommender->item_count()) return nullptr;
  const auto& items = pocketrec::RecommenderAccess::impl(*model->recommender).items;
  return genre < items.genre_count(index) ? items.genre(index, genre).data() : nullptr;
}

pr_status pr_session_create(const pr_model* model, pr_session** out) {
  if (!model || !out) return fail(PR_INVALID_ARGUMENT, "pr_session_create: NULL argument");
  *out = nullptr;
  return guarded(PR_INTERNAL, [&] {
    auto s = std::make_unique<pr_session>();
    s->model = model;
    s->session = std::make_unique<pocketrec::Session>(model->recommender);
    *out = s.release();
    return PR_OK;
  });
}

void pr_session_free(pr_session* session) {
  delete session;
}

void pr_options_init(pr_options* options) {
  if (!options) return;
  std::memset(options, 0, sizeof *options);
  options->k = 10;
  options->exclude_history = 1;
}

pr_status pr_recommend(pr_session* session, const char* const* history, size_t history_count,
                       const pr_options* options, pr_result* results, size_t capacity,
                       size_t* count) {
  if (!session || !options || !count || (history_count && !history) || (capacity && !results)) {
    return fail(PR_INVALID_ARGUMENT, "pr_recommend: NULL argument");
  }
  if (options->k < 0) return fail(PR_INVALID_ARGUMENT, "pr_recommend: k is negative");
  if ((options->allowed_count && !options->allowed) ||
      (options->blocked_count && !options->blocked)) {
    return fail(PR_INVALID_ARGUMENT, "pr_recommend: NULL allowed/blocked list");
  }
  *count = 0;
  return guarded(PR_INVALID_ARGUMENT, [&] {
    resolve(session->model, history, history_count, "history", session->history);
    resolve(session->model, options->allowed, options->allowed_count, "allowed", session->allowed);
    resolve(session->model, options->blocked, options->blocked_count, "blocked", session->blocked);
    if (options->allowed_count && session->allowed.empty()) {
      session->results.clear();  // nothing the caller allows exists
      return copy_results(session, results, capacity, count);
    }
    pocketrec::Query q;
    q.history = session->history;
    q.k = options->k;
    q.exclude_history = options->exclude_history != 0;
    q.allowed = session->allowed;
    q.blocked = session->blocked;
    session->session->recommend(q, session->results);
    return copy_results(session, results, capacity, count);
  });
}

pr_status pr_similar(pr_session* session, const char* id, int k, pr_result* results,
                     size_t capacity, size_t* count) {
  if (!session || !id || !count || (capacity && !results)) {
    return fail(PR_INVALID_ARGUMENT, "pr_similar: NULL argument");
  }
  if (k < 0) return fail(PR_INVALID_ARGUMENT, "pr_similar: k is negative");
  *count = 0;
  auto index = session->model->recommender->find(id);
  if (!index) return fail(PR_UNKNOWN_ITEM, std::string("unknown item id '") + id + "'");
  return guarded(PR_INVALID_ARGUMENT, [&] {
    session->session->similar(*index, k, session->results);
    return copy_results(session, results, capacity, count);
  });
}

}  // extern "C"
