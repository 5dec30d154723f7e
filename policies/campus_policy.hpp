// The university's rules for rooms (muc::Policy): who creates what, locked settings, nicks.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "muc/policy.hpp"
#include "policies/policy_settings.hpp"

namespace commonroom::policies {

// Who counts as staff (may own persistent rooms). app/ backs this with the directory.
class StaffDirectory {
 public:
  virtual ~StaffDirectory() = default;
  virtual bool is_staff(const xmpp::Jid& user) const = 0;
};

class CampusPolicy : public muc::Policy {
 public:
  // Throws std::regex_error when room_name_pattern is not a valid regex (config checks it
  // first), std::runtime_error when ICU cannot open its spoof checker.
  explicit CampusPolicy(PolicySettings settings, std::shared_ptr<const StaffDirectory> staff = {});
  ~CampusPolicy() override;

  muc::Verdict check_creation(const muc::CreationRequest& request) const override;
  void default_config(const xmpp::Jid& room, muc::RoomConfig& config) const override;
  std::vector<xmpp::FormField> locked_fields(const xmpp::Jid& room) const override;
  muc::Limits limits() const override;
  muc::NickDecision check_nick_in_room(const xmpp::Jid& user, const xmpp::Jid& room,
                                       std::string_view nick,
                                       const std::vector<std::string_view>& others) const override;
  muc::Verdict may_enter(const xmpp::Jid& user, const xmpp::Jid& room,
                         const muc::RoomConfig& config, muc::Affiliation a) const override;
  bool is_service_admin(const xmpp::Jid& user) const override;
  muc::Verdict may_link_room(const xmpp::Jid& user, const xmpp::Jid& room) const override;
  muc::Verdict check_traffic(const xmpp::Jid& user, const xmpp::Jid& room, muc::Traffic kind,
                             std::size_t bytes,
                             std::chrono::system_clock::time_point now) const override;

  bool is_local(const xmpp::Jid& user) const;
  bool may_own_persistent(const xmpp::Jid& user) const;
  // Whether ICU's spoof checker finds the two nicks confusable (case-insensitively too).
  bool confusable(std::string_view a, std::string_view b) const;

 private:
  struct Spoof;
  PolicySettings settings_;
  std::shared_ptr<const StaffDirectory> staff_;
  std::regex room_name_;
  std::unique_ptr<Spoof> spoof_;
  // Token buckets per (kind, room, user). The engine calls from one thread; the mutex keeps
  // the const interface honest if that changes.
  struct Bucket {
    double tokens = 0;
    std::chrono::system_clock::time_point last;
  };
  mutable std::mutex buckets_mutex_;
  mutable std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace commonroom::policies
