#include "directory/directory_search.hpp"

#include <utility>
#include <variant>

#include "directory/search_protocol.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stanza.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::directory {

std::shared_ptr<const PeopleIndex> PeopleIndexHolder::current() const {
  std::lock_guard lock(mutex_);
  return index_;
}

void PeopleIndexHolder::publish(std::shared_ptr<const PeopleIndex> index) {
  std::shared_ptr<const PeopleIndex> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(index_, std::move(index));
  }
  // `old` is freed here, outside the lock (a large index takes a while to free).
}

DirectorySearch::DirectorySearch(std::string service_domain, SearchSettings settings,
                                 const PeopleIndexSource& source)
    : settings_(std::move(settings)),
      source_(source),
      access_(service_domain, settings_.allowed_domains),
      limiter_(settings_.rate_limit, settings_.rate_burst) {}

std::vector<std::string> DirectorySearch::features() {
  return {std::string(xmpp::ns::search), std::string(xmpp::ns::rsm)};
}

const xmpp::DataForm& DirectorySearch::offered_form(
    const std::shared_ptr<const PeopleIndex>& index) {
  if (!form_ || form_index_ != index) {
    form_ = search_form(index.get());
    form_index_ = index;
  }
  return *form_;
}

std::optional<xmpp::Element> DirectorySearch::handle(const xmpp::Element& stanza,
                                                     const xmpp::Jid& from,
                                                     std::chrono::system_clock::time_point now) {
  auto type = xmpp::iq_type(stanza);
  if (type != xmpp::IqType::get && type != xmpp::IqType::set) return std::nullopt;
  const xmpp::Element* query = stanza.find_child("query", xmpp::ns::search);
  if (!query) return std::nullopt;

  if (!access_.allowed(from)) {
    return xmpp::make_error_reply(
        stanza, xmpp::StanzaError::forbidden("The University directory can only be searched by " +
                                             access_.describe() + " users"));
  }
  std::shared_ptr<const PeopleIndex> index = source_.current();
  if (type == xmpp::IqType::get) {
    return xmpp::make_iq_result(stanza, search_fields_query(offered_form(index)));
  }

  auto parsed = parse_search_request(*query, offered_form(index));
  if (auto* error = std::get_if<xmpp::StanzaError>(&parsed))
    return xmpp::make_error_reply(stanza, *error);
  SearchSubmission& request = std::get<SearchSubmission>(parsed);
  if (request.cancelled)
    return xmpp::make_iq_result(stanza, xmpp::Element("query", std::string(xmpp::ns::search)));

  QueryLimits limits;
  limits.min_chars = settings_.min_chars;
  QueryCheck check = compile_query(request.query, limits);
  if (!check.query)
    return xmpp::make_error_reply(stanza, xmpp::StanzaError::not_acceptable(check.message));

  // Only real searches spend tokens: asking for the form or a malformed request is cheap.
  if (auto wait = limiter_.take(from.bare_str(), now)) {
    auto seconds = (wait->count() + 999) / 1000;
    return xmpp::make_error_reply(
        stanza, xmpp::StanzaError(xmpp::Condition::policy_violation, xmpp::ErrorType::wait,
                                  "Too many searches; try again in " + std::to_string(seconds) +
                                      (seconds == 1 ? " second" : " seconds")));
  }
  if (!index) {
    return xmpp::make_error_reply(
        stanza, xmpp::StanzaError(xmpp::Condition::resource_constraint, xmpp::ErrorType::wait,
                                  "The directory is still loading; try again in a minute"));
  }

  SearchPage page = index->search(
      *check.query, page_request(request, settings_.page_size, settings_.max_results));
  if (page.unknown_anchor) {
    // XEP-0059 §2.5: the item named in <after/>/<before/> has left the directory.
    return xmpp::make_error_reply(
        stanza, xmpp::StanzaError::item_not_found(
                    "The result set page you continued from is no longer in the directory"));
  }
  return xmpp::make_iq_result(stanza,
                              search_result_query(request, *index, page, settings_.page_bytes));
}

}  // namespace commonroom::directory
