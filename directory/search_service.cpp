#include "directory/search_service.hpp"

#include <variant>

namespace commonroom::directory {

namespace {

xmpp::ServiceDescription describe(const SearchServiceConfig& config, bool searchable) {
  xmpp::ServiceDescription d;
  d.domain = config.domain;
  d.identity = xmpp::DiscoIdentity{"directory", "user", "University directory", ""};
  // jabber:iq:search (with RSM) is advertised only when there are people to search.
  if (searchable) d.features = DirectorySearch::features();
  d.software_version = config.version;
  return d;
}

}  // namespace

SearchService::SearchService(SearchServiceConfig config)
    : config_(std::move(config)), basics_(describe(config_, false)) {}

SearchService::SearchService(SearchServiceConfig config, const PeopleIndexSource& people)
    : config_(std::move(config)),
      basics_(describe(config_, true)),
      search_(std::make_unique<DirectorySearch>(config_.domain, config_.search, people)) {}

Effects SearchService::handle(const xmpp::Element& stanza,
                              std::chrono::system_clock::time_point now) {
  Effects effects;
  xmpp::Routing routing = basics_.route(stanza);
  if (const auto* dropped = std::get_if<xmpp::Dropped>(&routing)) {
    effects.dropped.push_back(dropped->reason);
    return effects;
  }
  const auto& routed = std::get<xmpp::Routed>(routing);
  std::optional<xmpp::Element> reply;
  if (!routed.to.has_node()) {
    if (search_) reply = search_->handle(stanza, routed.from, now);
    if (!reply) reply = basics_.answer(stanza, routed);
  } else if (routed.kind != xmpp::StanzaKind::presence) {
    // Nobody lives at user@directory: RFC 6120 §10.5.3.1 answers messages and
    // iqs to a missing entity with service-unavailable; presences are ignored.
    reply = xmpp::refuse(stanza, xmpp::StanzaError::service_unavailable());
  }
  if (reply) effects.outbound.push_back(std::move(*reply));
  return effects;
}

}  // namespace commonroom::directory
