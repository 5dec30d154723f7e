#include "app/admin_web_abuse_desk.hpp"

#include <pqxx/pqxx>

#include <algorithm>

#include "app/ban_commands.hpp"
#include "store/database.hpp"
#include "store/evidence_bundle.hpp"
#include "store/legal_holds.hpp"
#include "store/log_audit.hpp"
#include "store/service_bans.hpp"

namespace commonroom::app {

namespace aw = admin_web;

namespace {

store::CaseAccess access(const aw::CaseLook& who) {
  return {who.actor, who.case_ref};
}

store::LogQuery query_of(const aw::LogFilter& f) {
  store::LogQuery q;
  q.rooms = f.rooms;
  q.users = f.users;
  q.nicks = f.nicks;
  q.occupant_ids = f.occupant_ids;
  q.words = f.words;
  q.from = f.from;
  q.to = f.to;
  q.all_kinds = f.all_kinds;
  return q;
}

aw::LogEntry entry_of(store::LogEvent e) {
  return {std::move(e.event_id),     std::move(e.room),
          std::move(e.stanza_id),    std::move(e.occurred_at),
          std::move(e.kind),         std::move(e.actor_jid),
          std::move(e.actor_nick),   std::move(e.occupant_id),
          std::move(e.target),       std::move(e.body),
          std::move(e.detail),       std::move(e.retracted_at),
          std::move(e.retracted_by), std::move(e.retraction_reason)};
}

aw::BanEntry ban_of(store::ServiceBanRecord b) {
  return {b.id,
          std::move(b.subject),
          std::move(b.reason),
          std::move(b.set_by),
          std::move(b.set_at),
          std::move(b.expires_at),
          std::move(b.lifted_at),
          std::move(b.lifted_by),
          b.in_force};
}

aw::HoldEntry hold_of(store::LegalHold h, bool counted) {
  aw::HoldEntry out;
  out.id = h.id;
  out.kind = std::move(h.kind);
  out.subject = std::move(h.subject);
  out.typed_subject = std::move(h.typed_subject);
  out.problem = std::move(h.problem);
  out.context_minutes = h.context_minutes.value_or(-1);
  out.reason = std::move(h.reason);
  out.placed_by = std::move(h.placed_by);
  out.placed_at = std::move(h.placed_at);
  out.released_at = std::move(h.released_at);
  out.released_by = std::move(h.released_by);
  if (counted) {
    out.covers = h.coverage.total;
    out.covers_own = h.coverage.own;
  }
  return out;
}

// What staff can fix becomes a sentence on the page; anything else stays an error.
template <typename F>
auto refusing(F&& f) {
  try {
    return f();
  } catch (const store::LogQueryError& e) {
    throw aw::AbuseRefused(e.what());
  } catch (const store::ServiceBanError& e) {
    throw aw::AbuseRefused(e.what());
  } catch (const store::HoldError& e) {
    throw aw::AbuseRefused(e.what());
  } catch (const std::invalid_argument& e) {
    throw aw::AbuseRefused(e.what());
  }
}

}  // namespace

PgAbuseDesk::PgAbuseDesk(std::string uri, const LivePolicy& policy, std::function<void()> catch_up)
    : pool_(std::move(uri)), policy_(policy), catch_up_(std::move(catch_up)) {}
PgAbuseDesk::~PgAbuseDesk() = default;

aw::LogResults PgAbuseDesk::search(const aw::CaseLook& who, const aw::LogFilter& filter,
                                   const std::string& after, int limit) {
  catch_up();
  Lease l(pool_);
  return refusing([&] {
    auto page = store::audited_search(l.c(), access(who), query_of(filter), after, limit);
    aw::LogResults out;
    for (auto& e : page.events) out.entries.push_back(entry_of(std::move(e)));
    out.next = std::move(page.next);
    for (auto& o : page.occupants)
      out.occupants.push_back({std::move(o.occupant_id), std::move(o.room), std::move(o.bare_jid)});
    return out;
  });
}

aw::LogTimeline PgAbuseDesk::context(const aw::CaseLook& who, const aw::ContextLink& link,
                                     int before, int after) {
  catch_up();
  Lease l(pool_);
  return refusing([&] {
    auto ctx = store::audited_context(
        l.c(), access(who), {link.event_id, link.stanza_id, link.room, link.at}, before, after);
    aw::LogTimeline out;
    out.room = std::move(ctx.room);
    out.anchor = ctx.anchor;
    for (auto& e : ctx.events) out.entries.push_back(entry_of(std::move(e)));
    return out;
  });
}

aw::EvidenceArchive PgAbuseDesk::export_evidence(const aw::CaseLook& who,
                                                 const aw::LogFilter& filter, int max_events) {
  catch_up();
  Lease l(pool_);
  return refusing([&] {
    auto r = store::audited_export(l.c(), access(who), query_of(filter), max_events);
    return aw::EvidenceArchive{std::move(r.archive), r.messages, std::move(r.archive_sha256),
                               std::move(r.manifest_sha256)};
  });
}

std::vector<aw::BanEntry> PgAbuseDesk::bans(int limit) {
  Lease l(pool_);
  std::vector<aw::BanEntry> out;
  for (auto& b : store::service_ban_history(l.c(), limit)) out.push_back(ban_of(std::move(b)));
  return out;
}

aw::BanEntry PgAbuseDesk::place_ban(const aw::CaseLook& who, const std::string& subject_text,
                                    const std::string& reason, std::optional<int> days) {
  Lease l(pool_);
  return refusing([&] {
    const std::string subject = ban_subject(subject_text);
    // Locks every local user out of every room: a decision for the command line's --force.
    const std::vector<std::string> local_domains = policy_.local_domains();
    if (std::find(local_domains.begin(), local_domains.end(), subject) != local_domains.end())
      throw aw::AbuseRefused(subject +
                             " is one of this service's own domains: banning it would lock every "
                             "local user out of every room. If that is really meant, a service "
                             "admin can do it on the server: commonroom ban place " +
                             subject + " --force");
    return ban_of(store::place_service_ban(l.c(), subject, reason, who.actor, days, who.case_ref));
  });
}

void PgAbuseDesk::lift_ban(const aw::CaseLook& who, const std::string& subject_text) {
  Lease l(pool_);
  refusing([&] {
    store::lift_service_ban(l.c(), ban_subject(subject_text), who.actor, who.case_ref);
    return 0;
  });
}

std::vector<aw::HoldEntry> PgAbuseDesk::active_holds() {
  Lease l(pool_);
  std::vector<aw::HoldEntry> out;
  for (auto& h : store::list_holds(l.c())) {
    if (h.problem.empty()) h.coverage = store::hold_coverage(l.c(), h.id);
    out.push_back(hold_of(std::move(h), true));
  }
  return out;
}

std::vector<aw::HoldEntry> PgAbuseDesk::hold_history(int limit) {
  Lease l(pool_);
  std::vector<aw::HoldEntry> out;
  for (auto& h : store::hold_history(l.c(), limit)) out.push_back(hold_of(std::move(h), false));
  return out;
}

aw::HoldEntry PgAbuseDesk::preview_hold(const aw::CaseLook& who, const aw::HoldRequest& hold) {
  catch_up();  // the events the hold counts
  Lease l(pool_);
  return refusing([&] {
    return hold_of(store::preview_hold(l.c(), hold.kind, hold.subject, hold.reason, who.actor,
                                       hold.kind == "user" ? hold.context_minutes : std::nullopt),
                   true);
  });
}

aw::HoldEntry PgAbuseDesk::place_hold(const aw::CaseLook& who, const aw::HoldRequest& hold) {
  catch_up();  // the events the hold counts
  Lease l(pool_);
  return refusing([&] {
    return hold_of(
        store::place_hold(l.c(), hold.kind, hold.subject, hold.reason, who.actor,
                          hold.kind == "user" ? hold.context_minutes : std::nullopt, who.case_ref),
        true);
  });
}

std::string PgAbuseDesk::release_hold(const aw::CaseLook& who, const std::string& kind,
                                      const std::string& subject) {
  Lease l(pool_);
  return refusing(
      [&] { return store::release_hold(l.c(), kind, subject, who.actor, who.case_ref); });
}

std::vector<aw::AuditRow> PgAbuseDesk::case_audit(const std::string& case_ref, long long before_id,
                                                  int limit) {
  Lease l(pool_);
  std::vector<aw::AuditRow> out;
  for (auto& r : store::case_audit(l.c(), case_ref, before_id, limit))
    out.push_back({r.id, std::move(r.occurred_at), std::move(r.actor), std::move(r.action),
                   std::move(r.object), std::move(r.detail)});
  return out;
}

}  // namespace commonroom::app
