#include "admin-web/server.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <openssl/ssl.h>

#include <mutex>
#include <stdexcept>

#include "admin-web/router.hpp"

namespace commonroom::admin_web {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The Host header values this server answers: the public URL's authority and the address
// it listens on, plus the loopback names for that port (a browser on the server itself).
std::vector<std::string> allowed_hosts(const std::string& public_url, const std::string& bound,
                                       uint16_t port) {
  std::vector<std::string> out{lower(bound)};
  Poco::URI uri(public_url);
  std::string authority = lower(uri.getAuthority());
  out.push_back(authority);
  // The default port may be left out of the Host header, or written.
  const bool default_port = (uri.getScheme() == "https" && uri.getPort() == 443) ||
                            (uri.getScheme() == "http" && uri.getPort() == 80);
  if (default_port) {
    const std::string host = uri.getHost().find(':') != std::string::npos
                                 ? "[" + lower(uri.getHost()) + "]"
                                 : lower(uri.getHost());
    out.push_back(host);
    out.push_back(host + ":" + std::to_string(uri.getPort()));
  }
  for (const char* loopback : {"127.0.0.1", "localhost", "[::1]"})
    out.push_back(std::string(loopback) + ":" + std::to_string(port));
  return out;
}

}  // namespace

// An unbound TLS listening socket with the certificate and key: TLS 1.2 and later, no client
// certificates. A file that cannot be read or a key that does not match the certificate is
// an error here, at start, not at the first connection.
Poco::Net::ServerSocket secure_socket(const std::string& certificate, const std::string& key) {
  static std::once_flag ssl_initialized;
  std::call_once(ssl_initialized, [] { Poco::Net::initializeSSL(); });
  try {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, key, certificate, "", Poco::Net::Context::VERIFY_NONE,
        9, false, "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES");
    // Poco loads the two files without checking that they belong together; a mismatch would
    // otherwise surface only as every browser's handshake failing.
    if (SSL_CTX_check_private_key(context->sslContext()) != 1)
      throw std::runtime_error("admin web cannot use the TLS certificate " + certificate +
                               " with key " + key + ": the key does not belong to the certificate");
    context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                              Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    return Poco::Net::SecureServerSocket(context);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("admin web cannot use the TLS certificate " + certificate +
                             " with key " + key + ": " + e.displayText());
  }
}

struct Server::Impl {
  // Own pool: POCO's default pool is shared with anything else in the process.
  Poco::ThreadPool pool;
  std::unique_ptr<Poco::Net::HTTPServer> http;
  uint16_t port = 0;
  bool running = false;

  explicit Impl(int threads) : pool("admin-web", 1, threads) {}
};

Server::Server(ServerOptions options, StatusSource status)
    : Server(std::move(options), SiteSources{std::move(status), {}, {}}) {}

Server::Server(ServerOptions options, SiteSources sources)
    : impl_(std::make_unique<Impl>(options.max_threads)) {
  std::string where =
      (options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host) +
      ":" + std::to_string(options.port);
  Poco::Net::ServerSocket socket;
  const bool tls = !options.tls_certificate.empty();
  if (tls) socket = secure_socket(options.tls_certificate, options.tls_private_key);
  try {
    // SO_REUSEADDR (restart while old connections linger in TIME_WAIT) but not
    // SO_REUSEPORT, which POCO's convenience constructor also sets: with it a second process
    // could bind the same port and take over half of the admin traffic.
    socket.bind(Poco::Net::SocketAddress(options.host, options.port), true, false);
    socket.listen(64);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("admin web cannot listen on " + where + ": " + e.displayText());
  }
  impl_->port = socket.address().port();

  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options.max_threads);
  params->setMaxQueued(options.max_queued);
  params->setTimeout(Poco::Timespan(options.timeout.count(), 0));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(options.timeout.count(), 0));
  params->setMaxKeepAliveRequests(100);
  params->setSoftwareVersion("commonroom");
  SiteContext site;
  site.version = options.version;
  site.status = std::move(sources.status);
  site.abuse_log = std::move(sources.abuse_log);
  site.directory_sync = std::move(sources.directory_sync);
  site.rooms_unlogged = sources.rooms_unlogged;
  site.store = options.store;
  site.room_commands = options.room_commands;
  site.directory_actions = options.directory_actions;
  site.abuse_desk = options.abuse_desk;
  site.policy = options.policy;
  site.sign_in = options.sign_in;
  const std::string bound =
      (options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host) +
      ":" + std::to_string(impl_->port);
  site.public_url = options.sign_in.public_url.empty() ? (tls ? "https://" : "http://") + bound
                                                       : options.sign_in.public_url;
  site.allowed_hosts = allowed_hosts(site.public_url, bound, impl_->port);
  impl_->http = std::make_unique<Poco::Net::HTTPServer>(new Router(std::move(site)), impl_->pool,
                                                        socket, params);
}

Server::~Server() {
  stop();
}

void Server::start() {
  if (impl_->running) return;
  if (!impl_->http) throw std::logic_error("admin web server cannot be restarted after stop()");
  impl_->http->start();
  impl_->running = true;
}

void Server::stop() {
  if (!impl_->running) return;
  impl_->http->stopAll(false);  // stop accepting; let requests in progress finish
  impl_->pool.joinAll();
  impl_->http.reset();  // closes the listening socket: new connections are refused at once
  impl_->running = false;
}

uint16_t Server::port() const {
  return impl_->port;
}

}  // namespace commonroom::admin_web
