#include "app/service_ban_watcher.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>

#include "app/pg_channel_watcher.hpp"
#include "store/service_bans.hpp"

namespace commonroom::app {

namespace {

constexpr std::chrono::seconds kBackoffMax{30};

std::vector<muc::ServiceBan> to_engine(const std::vector<store::ServiceBanRecord>& records) {
  std::vector<muc::ServiceBan> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back({r.subject, r.reason, r.set_by});
  return out;
}

bool same(const std::vector<muc::ServiceBan>& a, const std::vector<muc::ServiceBan>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.subject == y.subject && x.reason == y.reason && x.set_by == y.set_by;
  });
}

}  // namespace

struct ServiceBanWatcher::State {
  State(std::string uri, Apply a, Poco::Logger& l, std::chrono::seconds p)
      : apply(std::move(a)),
        log(l),
        poll(p),
        watcher(
            std::move(uri), std::string(store::kServiceBansChannel),
            {[this](pqxx::connection_base& c) { return refresh(c); },
             [this](const std::exception& e) { failed(e); },
             [this] { log.information("service-wide bans: PostgreSQL is back, watching again"); },
             nullptr},
            kBackoffMax) {}

  Apply apply;
  Poco::Logger& log;
  std::chrono::seconds poll;
  std::vector<muc::ServiceBan> applied;  // what the engine was last given
  std::optional<double> next_expiry;     // seconds, from the last load
  PgChannelWatcher watcher;              // last: its thread stops before the rest goes

  std::vector<muc::ServiceBan> read(pqxx::connection_base& c) {
    auto active = store::active_service_bans(c);
    next_expiry = active.next_expiry_seconds;
    return to_engine(active.bans);
  }

  // Reloads; the next check is at the soonest expiry or after the poll interval.
  std::chrono::steady_clock::duration refresh(pqxx::connection_base& c) {
    auto bans = read(c);
    if (!same(bans, applied)) {
      log.information("service-wide bans: " + std::to_string(bans.size()) + " in force");
      applied = bans;
      apply(std::move(bans));
    }
    auto wait = std::chrono::duration<double>(poll.count());
    if (next_expiry) wait = std::min(wait, std::chrono::duration<double>(*next_expiry + 0.5));
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait);
  }

  void failed(const std::exception& e) {
    // The engine keeps the bans it has; new ones wait until PostgreSQL answers again.
    log.error(std::string("service-wide bans: cannot read PostgreSQL, keeping the ") +
              std::to_string(applied.size()) + " ban(s) in force and retrying: " + e.what());
  }
};

ServiceBanWatcher::ServiceBanWatcher(std::string database_uri, Apply apply, Poco::Logger& log,
                                     std::chrono::seconds poll_interval)
    : state_(
          std::make_unique<State>(std::move(database_uri), std::move(apply), log, poll_interval)) {}

ServiceBanWatcher::~ServiceBanWatcher() {
  stop();
}

std::vector<muc::ServiceBan> ServiceBanWatcher::load() {
  pqxx::connection c(state_->watcher.database_uri());
  auto bans = state_->read(c);
  state_->applied = bans;
  return bans;
}

void ServiceBanWatcher::start() {
  state_->watcher.start();
}

void ServiceBanWatcher::stop() {
  state_->watcher.stop();
}

}  // namespace commonroom::app
