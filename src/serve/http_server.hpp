#pragma once
// The HTTP transport of `pocketrec serve` (Debian's cpp-httplib): every request goes to
// Service::handle; a bounded worker pool, a body limit (413 above it) and read/write timeouts.
#include <memory>
#include <string>

#include "serve/service.hpp"

namespace pocketrec::serve {

struct HttpOptions {
  int threads = 2;
  size_t max_body_bytes = size_t{1} << 20;
  int timeout_seconds = 10;
};

class HttpServer {
 public:
  HttpServer(Service& service, const HttpOptions& options);
  ~HttpServer();
  // Binds host:port (port 0 picks a free one) and returns the port; throws Error if it cannot.
  int bind(const std::string& host, int port);
  // Serves until stop(); requests in flight finish first.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pocketrec::serve
