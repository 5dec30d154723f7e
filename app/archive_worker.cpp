#include "app/archive_worker.hpp"

#include <Poco/Logger.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "store/database.hpp"
#include "store/room_archive.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::app {

struct ArchiveWorker::State {
  State(Reader r, Sender s, Poco::Logger& l, std::size_t max, CatchUp c)
      : reader(std::move(r)),
        sender(std::move(s)),
        log(l),
        max_waiting(max),
        catch_up(std::move(c)) {}

  Reader reader;
  Sender sender;
  Poco::Logger& log;
  std::size_t max_waiting;
  CatchUp catch_up;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<muc::MamQuery> queue;
  bool stopping = false;
  std::thread thread;

  void answer(const muc::MamQuery& q) {
    muc::Effects out;
    // A page without the newest messages would look complete to the client: it gets an
    // error it can retry instead (the journal is being copied, or PostgreSQL is away).
    if (catch_up && !catch_up()) {
      log.warning(q.room +
                  ": archive query refused: the abuse log's journal has not reached "
                  "PostgreSQL yet");
      out.outbound.push_back(muc::mam_error(
          q, xmpp::StanzaError(xmpp::Condition::resource_constraint, xmpp::ErrorType::wait,
                               "the newest messages are not in the archive yet; try again in "
                               "a moment")));
      sender(out);
      return;
    }
    try {
      auto page = reader(q);
      if (!page) {
        out.outbound.push_back(muc::mam_error(
            q, xmpp::StanzaError::item_not_found("no such message in this room's archive")));
      } else {
        // Serialized as one run: through Prosody's module a page crosses the host connection
        // as one text, each result routed on its own (decision 0086).
        auto stanzas = muc::mam_response(q, *page);
        for (std::size_t i = 0; i < stanzas.size(); ++i)
          out.add_serialized(stanzas[i], stanzas.size() - i - 1);
      }
    } catch (const std::exception& e) {
      log.error(q.room + ": archive query failed: " + e.what());
      out.outbound.push_back(muc::mam_error(
          q, xmpp::StanzaError::internal_server_error("the archive is unavailable; try again")));
    }
    sender(out);
  }

  void run() {
    for (;;) {
      muc::MamQuery q;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (stopping) return;
        q = std::move(queue.front());
        queue.pop_front();
      }
      answer(q);
    }
  }
};

ArchiveWorker::ArchiveWorker(Reader reader, Sender sender, Poco::Logger& log,
                             std::size_t max_waiting, CatchUp catch_up)
    : state_(std::make_unique<State>(std::move(reader), std::move(sender), log, max_waiting,
                                     std::move(catch_up))) {}

ArchiveWorker::~ArchiveWorker() {
  stop();
}

void ArchiveWorker::start() {
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

void ArchiveWorker::stop() {
  std::deque<muc::MamQuery> left;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    left.swap(state_->queue);
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
  for (const auto& q : left) {
    muc::Effects out;
    out.outbound.push_back(
        muc::mam_error(q, xmpp::StanzaError(xmpp::Condition::service_unavailable,
                                            xmpp::ErrorType::cancel, "the service is stopping")));
    state_->sender(out);
  }
}

bool ArchiveWorker::stopping() const {
  std::lock_guard lock(state_->mutex);
  return state_->stopping;
}

void ArchiveWorker::submit(std::vector<muc::MamQuery> queries) {
  std::vector<muc::MamQuery> refused;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& q : queries) {
      if (state_->stopping || state_->queue.size() >= state_->max_waiting)
        refused.push_back(std::move(q));
      else
        state_->queue.push_back(std::move(q));
    }
  }
  state_->cv.notify_all();
  if (refused.empty()) return;
  muc::Effects out;
  for (const auto& q : refused)
    out.outbound.push_back(muc::mam_error(
        q, xmpp::StanzaError(xmpp::Condition::resource_constraint, xmpp::ErrorType::wait,
                             "the archive is busy; try again in a moment")));
  state_->sender(out);
}

ArchiveWorker::Reader ArchiveWorker::postgres_reader(std::string database_uri,
                                                     std::chrono::milliseconds timeout) {
  struct Connection {
    std::string uri;
    std::chrono::milliseconds timeout;
    std::unique_ptr<store::Database> db;
  };
  auto c = std::make_shared<Connection>(Connection{std::move(database_uri), timeout, nullptr});
  return [c](const muc::MamQuery& q) -> std::optional<muc::MamPage> {
    try {
      if (!c->db) {
        c->db = std::make_unique<store::Database>(c->uri);
        pqxx::nontransaction tx(c->db->connection());
        tx.exec("SET statement_timeout = " + std::to_string(c->timeout.count()));
      }
      return store::RoomArchive(*c->db).query(q);
    } catch (...) {
      c->db.reset();  // a broken or timed-out connection is replaced on the next query
      throw;
    }
  };
}

}  // namespace commonroom::app
