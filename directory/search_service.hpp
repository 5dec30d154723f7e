// The directory service (XEP-0055 search) as a pure state machine: stanza in, effects out.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "directory/directory_search.hpp"
#include "directory/effects.hpp"
#include "directory/search_settings.hpp"
#include "xmpp/element.hpp"
#include "xmpp/service_basics.hpp"

namespace commonroom::directory {

struct SearchServiceConfig {
  std::string domain;   // e.g. directory.cam.example
  std::string version;  // reported by XEP-0092
  SearchSettings search = {};
};

class SearchService {
 public:
  // Without people to search: disco, ping and version only (search is not advertised and
  // answered with service-unavailable). Throws xmpp::JidError when the domain is not a
  // valid bare domain.
  explicit SearchService(SearchServiceConfig config);
  // With XEP-0055 search over the people `people` provides (it must outlive the service).
  SearchService(SearchServiceConfig config, const PeopleIndexSource& people);

  Effects handle(const xmpp::Element& stanza, std::chrono::system_clock::time_point now);

  const xmpp::ServiceBasics& basics() const { return basics_; }

 private:
  SearchServiceConfig config_;
  xmpp::ServiceBasics basics_;
  std::unique_ptr<DirectorySearch> search_;  // null without people
};

}  // namespace commonroom::directory
