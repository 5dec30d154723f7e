// An AbuseDesk in memory for the admin web's tests: one small room log whose nick, body and
// retraction reason hold markup, bans and holds as lists, and a record of every call with
// the actor and case it was made for (app/admin_web_abuse_desk.cpp is the PostgreSQL one,
// tested in integration).
#pragma once
#include <mutex>
#include <string>
#include <vector>

#include "admin-web/abuse_desk.hpp"

namespace commonroom::admin_web {

class FakeAbuseDesk : public AbuseDesk {
 public:
  static constexpr const char* kEvil = "<script>alert(1)</script>";

  FakeAbuseDesk() {
    LogEntry a;
    a.event_id = "e1";
    a.room = "lobby@conference.cam.example";
    a.stanza_id = "s1";
    a.occurred_at = "2026-11-24T10:01:00.000000Z";
    a.kind = "groupchat";
    a.actor_jid = "mallory@cam.example/pc";
    a.actor_nick = std::string("mal") + kEvil;
    a.body = std::string("you idiot ") + kEvil;
    a.retracted_at = "2026-11-24T10:05:00.000000Z";
    a.retracted_by = "mod@cam.example/desk";
    a.retraction_reason = std::string("insult ") + kEvil;
    LogEntry b = a;
    b.event_id = "e2";
    b.kind = "kick";
    b.target = "mallory@cam.example";
    b.body = "insults";
    b.retracted_at = b.retracted_by = b.retraction_reason = "";
    log_ = {a, b};
  }

  // "what actor case" for every call, in order.
  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  LogResults search(const CaseLook& who, const LogFilter& f, const std::string&, int) override {
    note("search", who);
    if (f.words == "!!!") throw AbuseRefused("\"!!!\" has no word to search for");
    return {{log_[0]}, "", {}};
  }
  LogTimeline context(const CaseLook& who, const ContextLink& link, int, int) override {
    note("context", who);
    if (link.event_id == "nope") throw AbuseRefused("no event has the id nope");
    return {"lobby@conference.cam.example", log_, 0};
  }
  EvidenceArchive export_evidence(const CaseLook& who, const LogFilter&, int) override {
    note("export", who);
    return {"tar bytes", 1, "aaaa", "0123456789abcdef"};
  }
  std::vector<BanEntry> bans(int) override {
    std::lock_guard lock(mutex_);
    return bans_;
  }
  BanEntry place_ban(const CaseLook& who, const std::string& subject, const std::string& reason,
                     std::optional<int>) override {
    note("ban " + subject, who);
    std::lock_guard lock(mutex_);
    for (const auto& b : bans_)
      if (b.subject == subject && b.in_force) throw AbuseRefused(subject + " is already banned");
    BanEntry b;
    b.id = static_cast<long long>(bans_.size() + 1);
    b.subject = subject;
    b.reason = reason;
    b.set_by = who.actor;
    b.set_at = "2026-12-06T00:00:00Z";
    b.in_force = true;
    bans_.insert(bans_.begin(), b);
    return b;
  }
  void lift_ban(const CaseLook& who, const std::string& subject) override {
    note("lift " + subject, who);
    std::lock_guard lock(mutex_);
    for (auto& b : bans_)
      if (b.subject == subject && b.in_force) {
        b.in_force = false;
        b.lifted_by = who.actor;
        return;
      }
    throw AbuseRefused(subject + " is not banned");
  }
  std::vector<HoldEntry> active_holds() override {
    std::lock_guard lock(mutex_);
    std::vector<HoldEntry> out;
    for (const auto& h : holds_)
      if (h.released_at.empty()) out.push_back(h);
    return out;
  }
  std::vector<HoldEntry> hold_history(int) override {
    std::lock_guard lock(mutex_);
    return holds_;
  }
  HoldEntry preview_hold(const CaseLook& who, const HoldRequest& r) override {
    note("preview " + r.subject, who);
    return entry(r, who);
  }
  HoldEntry place_hold(const CaseLook& who, const HoldRequest& r) override {
    note("hold " + r.subject, who);
    HoldEntry h = entry(r, who);
    std::lock_guard lock(mutex_);
    holds_.insert(holds_.begin(), h);
    return h;
  }
  std::string release_hold(const CaseLook& who, const std::string& kind,
                           const std::string& subject) override {
    note("release " + kind + " " + subject, who);
    std::lock_guard lock(mutex_);
    for (auto& h : holds_)
      if (h.kind == kind && h.subject == subject && h.released_at.empty()) {
        h.released_at = "now";
        h.released_by = who.actor;
        return subject;
      }
    throw AbuseRefused(kind + " " + subject + " is not under a legal hold");
  }
  std::vector<AuditRow> case_audit(const std::string& case_ref, long long, int) override {
    return {{1, "2026-12-06T00:00:00Z", "abe", "log.search", case_ref,
             "{\"case\":\"" + case_ref + "\",\"query\":{\"words\":\"idiot\"},\"results\":1}"}};
  }

 private:
  void note(const std::string& what, const CaseLook& who) {
    std::lock_guard lock(mutex_);
    calls_.push_back(what + " " + who.actor + " " + who.case_ref);
  }
  static HoldEntry entry(const HoldRequest& r, const CaseLook& who) {
    HoldEntry h;
    h.id = 1;
    h.kind = r.kind;
    h.subject = r.subject;
    h.reason = r.reason;
    h.placed_by = who.actor;
    // A JID nobody used keeps nothing: the page must warn.
    h.covers = r.subject.starts_with("nobody") ? 0 : 12;
    h.covers_own = h.covers ? 3 : 0;
    return h;
  }

  std::mutex mutex_;
  std::vector<LogEntry> log_;
  std::vector<BanEntry> bans_;
  std::vector<HoldEntry> holds_;
  std::vector<std::string> calls_;
};

}  // namespace commonroom::admin_web
