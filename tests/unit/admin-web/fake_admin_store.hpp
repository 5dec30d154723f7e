// An AdminStore in memory for the admin web's tests: sessions, roles, rooms and people as
// plain containers (app/admin_web_store.cpp is the PostgreSQL one, tested in integration).
#pragma once
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "admin-web/admin_store.hpp"
#include "admin-web/security.hpp"

namespace commonroom::admin_web {

class FakeAdminStore : public AdminStore {
 public:
  // Opens a session as a sign-in would; returns the cookie value.
  std::string open_session(const std::string& principal) {
    std::string token = random_token();
    create_session(sha256_hex(token), principal, "csrf-" + principal, "link");
    return token;
  }
  void grant(const std::string& principal, const std::string& role, const std::string& scope = "") {
    std::lock_guard lock(mutex_);
    grants_[principal].push_back({role, scope});
  }
  void add_room(RoomDetail room) {
    std::lock_guard lock(mutex_);
    rooms_[room.room.jid] = std::move(room);
  }
  void add_person(PersonRow p) {
    std::lock_guard lock(mutex_);
    people_[p.uid] = std::move(p);
  }
  std::vector<AuditRow> audit_log() {
    std::lock_guard lock(mutex_);
    return audit_;
  }
  bool session_open(const std::string& cookie) {
    std::lock_guard lock(mutex_);
    return sessions_.count(sha256_hex(cookie)) > 0;
  }

  void create_session(const std::string& id, const std::string& principal, const std::string& csrf,
                      const std::string&) override {
    std::lock_guard lock(mutex_);
    sessions_[id] = {principal, csrf};
  }
  std::optional<StoredSession> touch_session(const std::string& id, int, int) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
  }
  void end_session(const std::string& id) override {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }
  std::optional<std::string> consume_login_link(const std::string&) override {
    return std::nullopt;
  }
  bool accept_raven_response(const std::string& key, int) override {
    std::lock_guard lock(mutex_);
    return raven_.insert(key).second;
  }
  std::vector<Grant> grants(const std::string& principal) override {
    std::lock_guard lock(mutex_);
    auto it = grants_.find(principal);
    return it == grants_.end() ? std::vector<Grant>{} : it->second;
  }
  void audit(const std::string& actor, const std::string& action, const std::string& object,
             const std::string& detail) override {
    std::lock_guard lock(mutex_);
    audit_.push_back({static_cast<long long>(audit_.size() + 1), "2026-12-06T00:00:00Z", actor,
                      action, object, detail});
  }
  std::vector<AuditRow> audit_entries(long long, int) override { return audit_log(); }
  std::vector<RoomRow> rooms(const RoomQuery& q) override {
    std::lock_guard lock(mutex_);
    std::vector<RoomRow> out;
    for (const auto& [jid, d] : rooms_) {
      if (jid <= q.after) continue;
      if (q.scopes) {
        bool in = false;
        for (const auto& s : *q.scopes)
          in = in || s == "room:" + jid ||
               std::find(d.room.linked.begin(), d.room.linked.end(), s) != d.room.linked.end();
        if (!in) continue;
      }
      out.push_back(d.room);
      if (static_cast<int>(out.size()) == q.limit) break;
    }
    return out;
  }
  // Hour i (oldest first) had i messages.
  std::vector<std::pair<std::string, std::int64_t>> messages_per_hour(int hours) override {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (int i = 0; i < hours; ++i)
      out.emplace_back("2026-01-01 " + std::string(i < 10 ? "0" : "") + std::to_string(i) + ":00",
                       i);
    return out;
  }
  std::int64_t room_count() override {
    std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(rooms_.size());
  }
  std::optional<RoomDetail> room(const std::string& jid) override {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(jid);
    if (it == rooms_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<PersonRow> people(const std::string& text, int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<PersonRow> out;
    for (const auto& [uid, p] : people_)
      if ((uid == text || p.display_name.find(text) != std::string::npos) &&
          static_cast<int>(out.size()) < limit)
        out.push_back(p);
    return out;
  }
  std::vector<SyncRunRow> sync_runs(int) override {
    SyncRunRow r;
    r.kind = "full";
    r.status = "failed";
    r.error = std::string("ldap <b>down</b>");
    return {r};
  }
  std::vector<OptOutRow> opt_outs() override { return {{"xyz9", "2026-12-01T00:00:00Z", "asked"}}; }
  std::optional<PersonRow> person(const std::string& uid) override {
    std::lock_guard lock(mutex_);
    auto it = people_.find(uid);
    if (it == people_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, StoredSession> sessions_;
  std::map<std::string, std::vector<Grant>> grants_;
  std::map<std::string, RoomDetail> rooms_;
  std::map<std::string, PersonRow> people_;
  std::set<std::string> raven_;
  std::vector<AuditRow> audit_;
};

}  // namespace commonroom::admin_web
