#include "serve/http_server.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace pocketrec::serve {

struct HttpServer::Impl {
  httplib::Server server;
};

HttpServer::HttpServer(Service& service, const HttpOptions& options)
    : impl_(std::make_unique<Impl>()) {
  auto& server = impl_->server;
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  // Replies go out at once: with Nagle's algorithm each small reply waited for the client's
  // delayed ACK, 40 ms per request (bench/serve_load.sh: 150 requests/s before).
  server.set_tcp_nodelay(true);
  // A worker serves one keep-alive connection at a time; after 5 requests (httplib's default) a
  // client reconnects, which costs more than the request.
  server.set_keep_alive_max_count(1000);
  server.set_read_timeout(options.timeout_seconds);
  server.set_write_timeout(options.timeout_seconds);
  auto handler = [&service](const httplib::Request& req, httplib::Response& res) {
    Request request;
    request.method = req.method;
    request.path = req.path;
    for (const auto& [key, value] : req.params) request.params.emplace(key, value);
    request.body = req.body;
    const std::string& from = req.remote_addr;
    request.loopback =
        from == "::1" || from.rfind("127.", 0) == 0 || from.rfind("::ffff:127.", 0) == 0;
    Reply reply = service.handle(request);
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type.c_str());
  };
  const std::string any = ".*";
  server.Get(any, handler);
  server.Post(any, handler);
  server.Put(any, handler);
  server.Delete(any, handler);
  server.Patch(any, handler);
  // Errors httplib answers itself (413 over the body limit, 400 for a malformed request) get the
  // API's JSON error shape too.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = res.status == 413 ? "the body is larger than the limit" : "bad request";
    nlohmann::json body = {{"error", {{"status", res.status}, {"message", message}}}};
    res.set_content(body.dump() + "\n", "application/json");
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const std::string& host, int port) {
  auto& server = impl_->server;
  if (port == 0) {
    int chosen = server.bind_to_any_port(host);
    if (chosen <= 0) throw Error("serve: cannot bind " + host + " to a free port");
    return chosen;
  }
  if (!server.bind_to_port(host, port)) {
    throw Error("serve: cannot bind " + host + ":" + std::to_string(port) +
                " (in use, or not an address of this machine)");
  }
  return port;
}

void HttpServer::run() {
  impl_->server.listen_after_bind();
}

void HttpServer::stop() {
  impl_->server.stop();
}

}  // namespace pocketrec::serve
