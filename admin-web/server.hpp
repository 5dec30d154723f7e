// The admin web's HTTP server: binds host:port and serves the pages on a small thread pool.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "admin-web/link_state.hpp"
#include "admin-web/sign_in_settings.hpp"

namespace commonroom::admin_web {

class AdminStore;
class RoomCommands;
class DirectoryActions;
class AbuseDesk;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8480;  // 0: any free port; see Server::port()
  std::string version;   // shown on / and in /metrics
  int max_threads = 4;
  int max_queued = 32;               // connections waiting for a thread; more are refused
  std::chrono::seconds timeout{10};  // per socket read/write, so a slow client cannot hold a thread
  SignInSettings sign_in;
  // HTTPS in the process (PEM files); both empty: plain HTTP, as behind a TLS proxy.
  std::string tls_certificate;
  std::string tls_private_key;
  // Sessions, roles and the pages' data; null without [database] (then nobody can sign in
  // and only /healthz, /metrics and the sign-in page answer). Must outlive the server.
  AdminStore* store = nullptr;
  // Changes to live rooms; null without [muc] (the room pages are then read-only). Must
  // outlive the server.
  RoomCommands* room_commands = nullptr;
  // Sync now and opt-outs; null without [database]. Must outlive the server.
  DirectoryActions* directory_actions = nullptr;
  // The abuse workspace's log, bans and holds; null without [database]. Must outlive the
  // server.
  AbuseDesk* abuse_desk = nullptr;
  // The effective [policy], shown read-only on /policy; empty: none.
  PolicySource policy;
};

class Server {
 public:
  // Binds the socket (so a taken port fails here, before anything else starts); throws
  // std::runtime_error naming the address.
  Server(ServerOptions options, StatusSource status);
  Server(ServerOptions options, SiteSources sources);
  ~Server();  // stops if running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  void stop();            // waits for requests in progress
  uint16_t port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commonroom::admin_web
