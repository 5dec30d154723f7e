// The XEP-0055 search of the directory service: answers jabber:iq:search gets and sets
// from the current people index, with access rules, a per-user rate limit and paging.
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "directory/people_index.hpp"
#include "directory/search_access.hpp"
#include "directory/search_settings.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/payloads/data_form.hpp"

namespace commonroom::directory {

// Where the search gets the people it searches: the latest snapshot, swapped in whole
// after each sync. nullptr while the directory has not been loaded yet.
class PeopleIndexSource {
 public:
  virtual ~PeopleIndexSource() = default;
  virtual std::shared_ptr<const PeopleIndex> current() const = 0;
};

// The usual source: the loader publishes a new index (any thread), searches read the
// latest one; a search keeps its snapshot alive until it is done with it.
class PeopleIndexHolder : public PeopleIndexSource {
 public:
  std::shared_ptr<const PeopleIndex> current() const override;
  void publish(std::shared_ptr<const PeopleIndex> index);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const PeopleIndex> index_;
};

class DirectorySearch {
 public:
  // `source` must outlive this object.
  DirectorySearch(std::string service_domain, SearchSettings settings,
                  const PeopleIndexSource& source);

  // Disco features the search adds to the service: jabber:iq:search and RSM.
  static std::vector<std::string> features();

  // The reply to an iq get/set carrying <query xmlns='jabber:iq:search'/>; nullopt when
  // `stanza` is anything else (the caller answers it). `from` is the routed sender.
  std::optional<xmpp::Element> handle(const xmpp::Element& stanza, const xmpp::Jid& from,
                                      std::chrono::system_clock::time_point now);

  const SearchSettings& settings() const { return settings_; }

 private:
  const xmpp::DataForm& offered_form(const std::shared_ptr<const PeopleIndex>& index);

  SearchSettings settings_;
  const PeopleIndexSource& source_;
  SearchAccess access_;
  RateLimiter limiter_;
  // The offered form depends on the index (institution options): rebuilt when it changes.
  std::shared_ptr<const PeopleIndex> form_index_;
  std::optional<xmpp::DataForm> form_;
};

}  // namespace commonroom::directory
