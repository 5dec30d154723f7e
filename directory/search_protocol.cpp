#include "directory/search_protocol.hpp"

#include <algorithm>
#include <span>

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::directory {

namespace {

using xmpp::DataForm;
using xmpp::Element;
using xmpp::FieldType;
using xmpp::FormField;

constexpr std::string_view kInstructions =
    "Type part of a name (at least two letters), a CRSid or an email address. Words may come "
    "in any order; accents and capitals do not matter.";

FormField text_field(std::string_view var, std::string label, std::string desc = {}) {
  FormField f;
  f.var = std::string(var);
  f.type = FieldType::text_single;
  f.label = std::move(label);
  f.desc = std::move(desc);
  return f;
}

FormField reported(std::string_view var, FieldType type, std::string label) {
  FormField f;
  f.var = std::string(var);
  f.type = type;
  f.label = std::move(label);
  return f;
}

std::string trimmed(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// The <reported/> header of every form answer: the same each time, so serialized once.
// The columns are what a person picks someone by. Given name, family name and CRSid are
// left out: the name and the JID already show them, and every column is parsed again by
// the host server and the client for every person listed (the legacy format still
// carries them). Every column is text-single or jid-single, the types every client's
// results table shows (Gajim skips a text-multi column and shifts the others).
const std::string& reported_markup() {
  static const std::string markup = [] {
    DataForm form;
    form.type = xmpp::FormType::result;
    form.reported = {
        reported(search_var::jid, FieldType::jid_single, "Jabber ID"),
        reported(search_var::name, FieldType::text_single, "Name"),
        reported(search_var::email, FieldType::text_single, "Email address"),
        reported(search_var::institution, FieldType::text_single, "Institutions"),
        reported(search_var::affiliation, FieldType::text_single, "Staff or student"),
    };
    Element x = xmpp::to_element(form);
    return xmpp::to_string(*x.find_child("reported", xmpp::ns::data_forms), xmpp::ns::data_forms);
  }();
  return markup;
}

// A person's institutions in one text-single value.
constexpr std::string_view kInstitutionSeparator = "; ";

xmpp::StanzaError bad_request(const std::string& what) {
  return xmpp::StanzaError::bad_request(what);
}

}  // namespace

DataForm search_form(const PeopleIndex* index) {
  DataForm form;
  form.type = xmpp::FormType::form;
  form.title = "University directory search";
  form.instructions.emplace_back(kInstructions);
  form.set_form_type(std::string(xmpp::ns::search));
  form.fields.push_back(text_field(
      search_var::name, "Name", "Any part of a person's name, e.g. \"ali bro\" for Alice Brown"));
  form.fields.push_back(text_field(search_var::first, "Given name"));
  form.fields.push_back(text_field(search_var::last, "Family name"));
  form.fields.push_back(
      text_field(search_var::crsid, "CRSid", "The University user name, e.g. abc123"));
  form.fields.push_back(text_field(search_var::email, "Email address"));
  std::vector<xmpp::FormOption> institutions = {{"Any institution", std::string(search_var::any)}};
  if (index)
    for (const auto& inst : index->institutions())
      institutions.push_back({inst.name, inst.inst_id});
  form.fields.push_back(FormField::list_single(std::string(search_var::institution),
                                               std::string(search_var::any),
                                               std::move(institutions), "Institution"));
  form.fields.push_back(FormField::list_single(
      std::string(search_var::affiliation), std::string(search_var::any),
      {{"Anyone", std::string(search_var::any)}, {"Staff", "staff"}, {"Students", "student"}},
      "Staff or student"));
  return form;
}

Element search_fields_query(const DataForm& form) {
  Element query("query", std::string(xmpp::ns::search));
  query.add_text_child("instructions", kInstructions);
  for (const char* legacy : {"first", "last", "nick", "email"}) query.add_child(legacy);
  query.add_child(xmpp::to_element(form));
  return query;
}

std::variant<SearchSubmission, xmpp::StanzaError> parse_search_request(const Element& query,
                                                                       const DataForm& offered) {
  SearchSubmission request;
  if (const Element* set = query.find_child("set", xmpp::ns::rsm)) {
    try {
      request.rsm = xmpp::parse_rsm_set(*set);
    } catch (const xmpp::PayloadError& e) {
      return bad_request(std::string("result set: ") + e.what());
    }
  }

  if (const Element* x = query.find_child("x", xmpp::ns::data_forms)) {
    request.format = SearchFormat::form;
    DataForm submitted;
    try {
      submitted = xmpp::parse_data_form(*x);
    } catch (const xmpp::PayloadError& e) {
      return bad_request(std::string("search form: ") + e.what());
    }
    if (submitted.type == xmpp::FormType::cancel) {
      request.cancelled = true;
      return request;
    }
    if (auto problem = xmpp::validate_submission(submitted, offered))
      return xmpp::StanzaError::not_acceptable("search form: " + *problem);
    static constexpr std::pair<std::string_view, SearchField> text_fields[] = {
        {search_var::name, SearchField::name},   {search_var::first, SearchField::first},
        {search_var::last, SearchField::last},   {search_var::crsid, SearchField::crsid},
        {search_var::email, SearchField::email},
    };
    for (const auto& [var, field] : text_fields) {
      std::string text = trimmed(submitted.value(var).value_or(""));
      if (!text.empty()) request.query.terms.push_back({field, std::move(text)});
    }
    std::string inst = trimmed(submitted.value(search_var::institution).value_or(""));
    if (inst != search_var::any) request.query.institution = inst;
    std::string aff = trimmed(submitted.value(search_var::affiliation).value_or(""));
    if (aff == "staff") request.query.affiliation = Affiliation::staff;
    if (aff == "student") request.query.affiliation = Affiliation::student;
    return request;
  }

  request.format = SearchFormat::legacy;
  static constexpr std::pair<std::string_view, SearchField> legacy_fields[] = {
      {"first", SearchField::first},
      {"last", SearchField::last},
      {"nick", SearchField::crsid},
      {"email", SearchField::email},
  };
  for (const auto& [name, field] : legacy_fields) {
    std::string text = trimmed(query.child_text(name, xmpp::ns::search));
    if (!text.empty()) request.query.terms.push_back({field, std::move(text)});
  }
  return request;
}

PageRequest page_request(const SearchSubmission& request, std::size_t page_size,
                         std::size_t max_results) {
  PageRequest page;
  page.max = std::min(page_size, max_results);
  if (request.rsm) {
    if (request.rsm->max) page.max = std::min<std::size_t>(*request.rsm->max, max_results);
    page.after = request.rsm->after;
    page.before = request.rsm->before;
    if (request.rsm->index) page.index = *request.rsm->index;
  }
  return page;
}

namespace {

// The items of one result page, written by `write_item`, cut to `budget` bytes.
struct WrittenItems {
  std::optional<Element> fragment;  // none for an empty page
  std::size_t first = 0;            // index in the page of the first item kept
  std::size_t count = 0;            // items kept
};

template <class WriteItem>
WrittenItems write_items(std::string_view xmlns, std::span<const uint32_t> ids, std::size_t budget,
                         bool keep_last, const WriteItem& write_item) {
  WrittenItems written;
  if (ids.empty()) return written;
  xmpp::XmlFragmentWriter writer{std::string(xmlns), ids.size() * 256};
  std::vector<std::size_t> ends;  // bytes written after each item
  ends.reserve(ids.size());
  for (uint32_t id : ids) {
    write_item(writer, id);
    ends.push_back(writer.bytes_written());
  }
  written.count = ids.size();
  if (ends.back() <= budget || ids.size() == 1) {
    written.fragment = std::move(writer).finish();
    return written;
  }
  // Over budget (rare: long names or a client asking for many): keep what fits and write
  // those again rather than cut a buffer the writer owns.
  auto start = [&ends](std::size_t i) { return i == 0 ? std::size_t{0} : ends[i - 1]; };
  if (keep_last) {
    written.first = ids.size() - 1;
    while (written.first > 0 && ends.back() - start(written.first - 1) <= budget) --written.first;
    written.count = ids.size() - written.first;
  } else {
    written.count = 1;
    while (written.count < ids.size() && ends[written.count] <= budget) ++written.count;
  }
  xmpp::XmlFragmentWriter kept{std::string(xmlns), ends.back()};
  for (uint32_t id : ids.subspan(written.first, written.count)) write_item(kept, id);
  written.fragment = std::move(kept).finish();
  return written;
}

}  // namespace

Element search_result_query(const SearchSubmission& request, const PeopleIndex& index,
                            const SearchPage& page, std::size_t item_bytes) {
  Element query("query", std::string(xmpp::ns::search));
  if (request.cancelled) return query;
  const bool keep_last = request.rsm && request.rsm->before.has_value();

  WrittenItems items;
  if (request.format == SearchFormat::legacy) {
    // Written straight to bytes, as the form rows below are.
    items = write_items(xmpp::ns::search, page.ids, item_bytes, keep_last,
                        [&index](xmpp::XmlFragmentWriter& out, uint32_t id) {
                          PersonView p = index.person(id);
                          out.open("item").attr("jid", p.jid);
                          out.text_element("first", p.given_name)
                              .text_element("last", p.family_name)
                              .text_element("nick", p.uid)
                              .text_element("email", p.mail)
                              .close();
                        });
  } else {
    // The rows are written straight to bytes: as an element tree a page of 50 people is
    // 1,200 elements, and building, serializing and freeing them was 90% of an answer.
    const auto& institutions = index.institutions();
    std::string names;
    items = write_items(xmpp::ns::data_forms, page.ids, item_bytes, keep_last,
                        [&](xmpp::XmlFragmentWriter& out, uint32_t id) {
                          auto cell = [&out](std::string_view var, std::string_view value) {
                            out.open("field").attr("var", var).text_element("value", value).close();
                          };
                          PersonView p = index.person(id);
                          names.clear();
                          for (uint32_t i : p.institutions) {
                            if (!names.empty()) names += kInstitutionSeparator;
                            names += institutions[i].name;
                          }
                          // Every item carries every reported field (XEP-0004 §3.4), if need be
                          // empty.
                          out.open("item");
                          cell(search_var::jid, p.jid);
                          cell(search_var::name, p.display_name);
                          cell(search_var::email, p.mail);
                          cell(search_var::institution, names);
                          cell(search_var::affiliation,
                               p.affiliation == Affiliation::other ? "" : to_string(p.affiliation));
                          out.close();
                        });
  }
  const std::span<const uint32_t> shown =
      std::span<const uint32_t>(page.ids).subspan(items.first, items.count);
  const std::size_t first_index = page.first_index + items.first;

  if (request.format == SearchFormat::legacy) {
    if (items.fragment) query.add_child(std::move(*items.fragment));
  } else {
    DataForm form;
    form.type = xmpp::FormType::result;
    // XEP-0055 §3 and XEP-0068 keep FORM_TYPE in the result.
    form.set_form_type(std::string(xmpp::ns::search));
    if (page.count == 0) {
      form.title = "Nobody found";
    } else if (shown.size() < page.count) {
      form.title = std::to_string(page.count) + " people found; showing " +
                   std::to_string(first_index + 1) + "-" +
                   std::to_string(first_index + shown.size());
    } else {
      form.title =
          std::to_string(page.count) + (page.count == 1 ? " person found" : " people found");
    }
    Element x = xmpp::to_element(form);
    x.add_child(Element::fragment(reported_markup(), std::string(xmpp::ns::data_forms)));
    if (items.fragment) x.add_child(std::move(*items.fragment));
    query.add_child(std::move(x));
  }

  if (request.rsm || shown.size() < page.count) {
    xmpp::RsmSet set;
    if (!shown.empty()) {
      set.first = std::string(index.person(shown.front()).uid);
      set.first_index = static_cast<uint32_t>(first_index);
      set.last = std::string(index.person(shown.back()).uid);
    }
    set.count = static_cast<uint32_t>(page.count);
    query.add_child(xmpp::to_element(set));
  }
  return query;
}

}  // namespace commonroom::directory
