// The WebAssembly runtime's entry points: a model loaded from bytes behind the same JSON API as
// `pocketrec serve` (serve::Service), so the demo page's "on this device" mode sends the same
// requests to the page's own runtime and gets the same answers, without the history leaving it.
// wasm/pocketrec.mjs wraps these in a JavaScript API.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "serve/movie_vocab.hpp"
#include "serve/service.hpp"

namespace {

// One loaded model: the JSON API over it, and a session for the direct queries.
struct Handle {
  std::shared_ptr<const pocketrec::Recommender> model;
  pocketrec::serve::Service service;
  pocketrec::Session session;
  std::vector<pocketrec::Result> results;
  Handle(std::shared_ptr<const pocketrec::Recommender> m, const std::string& name)
      : model(m), service(m, name), session(m) {}
};

std::string g_error;
std::string g_reply;
int g_status = 0;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded, as the HTTP server decodes a query string.
std::string url_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

extern "C" {

// A service over the model in `bytes` (a .tflite), with a sorted_movie_vocab.json catalog when
// `catalog` is not empty; null on failure (pw_error says why).
EMSCRIPTEN_KEEPALIVE Handle* pw_open(const uint8_t* bytes, size_t size, const char* name,
                                     const char* catalog, size_t catalog_size) {
  try {
    pocketrec::ModelLoadOptions options;
    if (catalog_size > 0) {
      options.catalog = pocketrec::serve::parse_movie_vocab(std::string_view(catalog, catalog_size),
                                                            std::string(name) + " catalog");
    }
    auto model = pocketrec::Recommender::load_buffer(bytes, size, name, options);
    return new Handle(model, name);
  } catch (const std::exception& e) {
    g_error = e.what();
    return nullptr;
  }
}

EMSCRIPTEN_KEEPALIVE const char* pw_error() {
  return g_error.c_str();
}

// One API request: method, path with its query string, body. Returns the reply's body (valid
// until the next call); pw_status gives its HTTP status.
EMSCRIPTEN_KEEPALIVE const char* pw_handle(Handle* handle, const char* method, const char* target,
                                           const char* body) {
  pocketrec::serve::Request request;
  request.method = method;
  std::string_view t(target);
  const size_t question = t.find('?');
  request.path = url_decode(t.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = t.substr(question + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      request.params.emplace(url_decode(pair.substr(0, eq)),
                             eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  request.body = body;
  pocketrec::serve::Reply reply = handle->service.handle(request);
  g_status = reply.status;
  g_reply = std::move(reply.body);
  return g_reply.c_str();
}

EMSCRIPTEN_KEEPALIVE int pw_status() {
  return g_status;
}

EMSCRIPTEN_KEEPALIVE void pw_close(Handle* handle) {
  delete handle;
}

// The direct path for apps that query in a loop: item indices in and out, no JSON.
EMSCRIPTEN_KEEPALIVE size_t pw_item_count(Handle* handle) {
  return handle->model->item_count();
}

EMSCRIPTEN_KEEPALIVE const char* pw_item_id(Handle* handle, uint32_t index) {
  return index < handle->model->item_count() ? handle->model->item_id(index).data() : "";
}

// Writes up to k results (indices and scores) and returns their number; -1 on error (pw_error).
// history: item indices, oldest first.
EMSCRIPTEN_KEEPALIVE int pw_recommend_indices(Handle* handle, const uint32_t* history, size_t count,
                                              int k, int exclude_history, uint32_t* items,
                                              float* scores) {
  try {
    pocketrec::Query query;
    query.history = std::span<const uint32_t>(history, count);
    query.k = k;
    query.exclude_history = exclude_history != 0;
    handle->session.recommend(query, handle->results);
    for (size_t i = 0; i < handle->results.size(); ++i) {
      items[i] = handle->results[i].item;
      scores[i] = handle->results[i].score;
    }
    return static_cast<int>(handle->results.size());
  } catch (const std::exception& e) {
    g_error = e.what();
    return -1;
  }
}

}  // extern "C"
