// The WebAssembly runtime's entry points: a model loaded from bytes behind the same JSON API as
// `pocketrec serve` (serve::Service), so the demo page's "on this device" mode sends the same
// requests to the page's own runtime and gets the same answers, without the history leaving it.
// wasm/pocketrec.mjs wraps these in a JavaScript API.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "serve/movie_vocab.hpp"
#include "serve/service.hpp"

namespace {

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
EMSCRIPTEN_KEEPALIVE pocketrec::serve::Service* pw_open(const uint8_t* bytes, size_t size,
                                                        const char* name, const char* catalog,
                                                        size_t catalog_size) {
  try {
    pocketrec::ModelLoadOptions options;
    if (catalog_size > 0) {
      options.catalog = pocketrec::serve::parse_movie_vocab(std::string_view(catalog, catalog_size),
                                                            std::string(name) + " catalog");
    }
    auto model = pocketrec::Recommender::load_buffer(bytes, size, name, options);
    return new pocketrec::serve::Service(model, name);
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
EMSCRIPTEN_KEEPALIVE const char* pw_handle(pocketrec::serve::Service* service, const char* method,
                                           const char* target, const char* body) {
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
  pocketrec::serve::Reply reply = service->handle(request);
  g_status = reply.status;
  g_reply = std::move(reply.body);
  return g_reply.c_str();
}

EMSCRIPTEN_KEEPALIVE int pw_status() {
  return g_status;
}

EMSCRIPTEN_KEEPALIVE void pw_close(pocketrec::serve::Service* service) {
  delete service;
}

}  // extern "C"
