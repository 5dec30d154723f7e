// Answers XEP-0313 queries on rooms off the engine thread: a slow or unreachable PostgreSQL
// delays the person who asked for history, never the rooms (every stanza of every room
// goes through the engine thread).
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "muc/effects.hpp"
#include "muc/mam_query.hpp"
#include "muc/mam_result.hpp"

namespace Poco {
class Logger;
}

namespace commonroom::app {

class ArchiveWorker {
 public:
  // Reads one page (nullopt: the after/before id is unknown); throws on a database error.
  using Reader = std::function<std::optional<muc::MamPage>(const muc::MamQuery&)>;
  // Sends what answers one query: the <result/> messages then the <fin/> iq, or an error.
  using Sender = std::function<void(const muc::Effects&)>;
  // Waits until the abuse log has copied into PostgreSQL every event durable so far (so
  // every one before the query); false if that did not happen in time.
  using CatchUp = std::function<bool()>;

  // At most `max_waiting` queries wait; more are refused at once with resource-constraint.
  // Without `catch_up` a query reads what PostgreSQL holds when its turn comes.
  ArchiveWorker(Reader reader, Sender sender, Poco::Logger& log, std::size_t max_waiting = 256,
                CatchUp catch_up = {});
  ~ArchiveWorker();  // stop()s
  ArchiveWorker(const ArchiveWorker&) = delete;
  ArchiveWorker& operator=(const ArchiveWorker&) = delete;

  void start();
  // Queries still waiting are answered with an error (the service is stopping). Idempotent.
  void stop();
  // Whether stop() has begun: from then on nothing new is read.
  bool stopping() const;
  // Any thread (the engine's), once every event before the queries is durable. Answers are
  // sent in submission order.
  void submit(std::vector<muc::MamQuery> queries);

  // The PostgreSQL reader the service uses: its own connection, made on first use and
  // again after an error, with statement_timeout so one heavy query cannot hold the
  // archive for everyone.
  static Reader postgres_reader(std::string database_uri, std::chrono::milliseconds timeout);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace commonroom::app
