#include "server/http_server.h"

#include "util/error.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <thread>

#include "server/basic_auth.h"
#include "server/http_json.h"
#include "server/routes.h"

namespace fluxgen::server {

namespace {

// Threads for connections: every request that waits for its job holds one (at most the queue plus
// the running job), and the rest must stay free so /progress, /interrupt and 429 answers are never
// stuck behind waiting generations. With a Redis queue every worker's running job holds one more,
// and the number of workers is not known here: room for 64.
size_t connection_threads(const ServerConfig& config) { return config.queue_size + 1 + 8 + (config.queue ? 64 : 0); }

constexpr int kListenBacklog = 1024;

int stop_pipe[2] = {-1, -1};

void write_stop_signal(int sig) {
  const unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = write(stop_pipe[1], &byte, 1);
}

std::string reason_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    default: return "HTTP error " + std::to_string(status);
  }
}

// FastAPI HTTPBasic's and A1111's messages.
ApiError auth_error(const httplib::Request& req) {
  return ApiError(401, "HTTPException",
                  req.has_header("Authorization") ? "Incorrect username or password" : "Not authenticated");
}

std::string body_limit_message(const ServerConfig& config) {
  return "request body larger than " + std::to_string(config.max_body_bytes >> 20) + " MiB (--max-body-mb)";
}

void configure(httplib::Server& http, const ServerConfig& config) {
  http.new_task_queue = [n = connection_threads(config)] { return new httplib::ThreadPool(n); };
  http.set_payload_max_length(config.max_body_bytes);

  // Authentication runs before the body is read, so an unauthenticated client cannot make the
  // server read (or parse) anything large.
  if (!config.credentials.empty()) {
    http.set_pre_routing_handler([&config](const httplib::Request& req, httplib::Response& res) {
      if (basic_auth_accepts(req.get_header_value("Authorization"), config.credentials))
        return httplib::Server::HandlerResponse::Unhandled;
      send_error(res, auth_error(req));
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  // Clients that ask before sending a large body (curl does above 1 MiB) learn the answer first.
  http.set_expect_100_continue_handler([&config](const httplib::Request& req, httplib::Response& res) {
    if (!config.credentials.empty() && !basic_auth_accepts(req.get_header_value("Authorization"), config.credentials)) {
      send_error(res, auth_error(req));
      return 401;
    }
    const std::string length = req.get_header_value("Content-Length");
    uint64_t bytes = 0;
    std::from_chars(length.data(), length.data() + length.size(), bytes);
    if (bytes > config.max_body_bytes) {
      send_error(res, ApiError(413, "HTTPException", body_limit_message(config)));
      return 413;
    }
    return 100;
  });
  // Errors httplib produces itself (unknown path, oversized body, unparsable request) get the
  // JSON bodies the routes' errors have.
  http.set_error_handler(httplib::Server::HandlerWithResponse([&config](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string detail = reason_of(res.status);
    if (res.status == 413) detail = body_limit_message(config);
    send_json(res, res.status, error_body(res.status, "HTTPException", detail));
    if (res.status == 401) res.set_header("WWW-Authenticate", "Basic");
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_json(res, 500, error_body(500, "InternalError", what));
  });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (req.path == "/sdapi/v1/progress") return;  // polled many times a second by UIs
    std::fprintf(stderr, "fluxgen serve: %s %s %d %s\n", req.method.c_str(), req.path.c_str(), res.status,
                 res.get_header_value("X-Process-Time").c_str());
  });
}

}  // namespace

void run_server(const ServerConfig& config) {
  // SIGINT/SIGTERM only write their number to a pipe (all a signal handler may safely do); a
  // stopper thread reads it and stops the server, which takes locks and joins threads. A handler
  // rather than a blocked mask, because libraries (OpenBLAS, OpenMP) start threads of their own
  // before this point that would not inherit a mask, and the default action would end the process.
  check(pipe(stop_pipe) == 0, "cannot create the shutdown pipe");
  struct sigaction on_stop {};
  on_stop.sa_handler = write_stop_signal;
  sigemptyset(&on_stop.sa_mask);
  sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that disconnects mid-answer must not end the server

  ModelCatalog catalog(config.models_dir);
  ApiOptions options(catalog, config.placement);
  GenerationService generation(config, catalog, options);
  httplib::Server http;
  configure(http, config);
  ServerContext ctx{config, catalog, options, generation};
  add_generation_routes(http, ctx);
  add_option_routes(http, ctx);
  add_catalog_routes(http, ctx);
  add_progress_routes(http, ctx);
  add_fluxgen_routes(http, ctx);
  add_script_routes(http, ctx);
  add_image_info_routes(http, ctx);
  add_extras_routes(http, ctx);
  add_system_routes(http, ctx);
  add_ui_routes(http, ctx);

  // cpp-httplib listens with a backlog of 5, fixed when the library was compiled: clients that
  // connect all at once (50 in the load test) would overflow it and lose their connections. The
  // listening socket is caught when it is created and listened on again with a deeper backlog
  // (Linux updates it in place).
  socket_t listen_socket = INVALID_SOCKET;
  http.set_socket_options([&listen_socket](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_socket = sock;
  });
  const int port = config.port == 0 ? http.bind_to_any_port(config.host)
                                    : (http.bind_to_port(config.host, config.port) ? config.port : -1);
  check(port > 0, "cannot listen on ", config.host, ":", config.port, " (is the port in use?)");
  if (listen_socket == INVALID_SOCKET || ::listen(listen_socket, kListenBacklog) != 0)
    std::fprintf(stderr, "fluxgen serve: could not deepen the listen backlog; bursts of connections may be refused\n");
  const std::string queue = config.queue ? config.queue->redacted() + " (" + config.queue_name + ")" : "in-process";
  std::printf("fluxgen serve: listening on http://%s:%d (models: %s, queue %zu, auth %s, jobs %s)\n", config.host.c_str(),
              port, config.models_dir.c_str(), config.queue_size, config.credentials.empty() ? "off" : "on", queue.c_str());
  std::fflush(stdout);

  std::thread stopper([&] {
    unsigned char sig = 0;
    while (read(stop_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig != 0) std::fprintf(stderr, "fluxgen serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    generation.shutdown();  // first, so handlers waiting for jobs answer and their threads can end
    http.stop();
  });
  http.listen_after_bind();
  const unsigned char ended = 0;  // listening ended on its own: wake the stopper
  if (write(stop_pipe[1], &ended, 1) < 0) std::fprintf(stderr, "fluxgen serve: cannot wake the stopper\n");
  stopper.join();
}

}  // namespace fluxgen::server
