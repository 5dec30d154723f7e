#include "directory/sync_schedule.hpp"

#include <algorithm>

#include "xmpp/backoff.hpp"

namespace commonroom::directory {

SyncSchedule::SyncSchedule(const LdapSettings& s) {
  set_intervals(s);
}

void SyncSchedule::set_intervals(const LdapSettings& s) {
  full_interval_ = s.full_sync_interval;
  incremental_interval_ = s.incremental_interval;
  retry_initial_ = std::max(s.retry_initial, std::chrono::seconds{1});
  retry_max_ = std::max(s.retry_max, s.retry_initial);
}

void SyncSchedule::restore(const History& h) {
  last_full_good_ = h.last_full_good;
  last_good_ = h.last_good;
  failures_ = h.failures_since_good;
  failed_kind_ = h.last_failed_kind;
  last_failure_ = h.last_failure;
}

void SyncSchedule::record(SyncKind kind, RunStatus status, TimePoint started, TimePoint finished) {
  if (status == RunStatus::ok || status == RunStatus::partial) {
    failures_ = 0;
    last_good_ = started;
    if (kind == SyncKind::full) last_full_good_ = started;
    return;
  }
  ++failures_;
  failed_kind_ = kind;
  last_failure_ = finished;
}

SyncSchedule::Due SyncSchedule::next() const {
  if (failures_ > 0) {
    // initial, 2x, 4x ... capped: Lookup having a bad hour must not be hammered.
    return {failed_kind_,
            last_failure_ + xmpp::doubled_delay(retry_initial_, retry_max_, failures_ - 1)};
  }
  if (!last_full_good_) return {SyncKind::full, TimePoint{}};
  const TimePoint full_due = *last_full_good_ + full_interval_;
  if (incremental_interval_.count() <= 0) return {SyncKind::full, full_due};
  const TimePoint inc_due = last_good_.value_or(*last_full_good_) + incremental_interval_;
  if (full_due <= inc_due) return {SyncKind::full, full_due};
  return {SyncKind::incremental, inc_due};
}

}  // namespace commonroom::directory
