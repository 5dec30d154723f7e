#include "xmpp/payloads/data_form.hpp"

#include <array>
#include <set>
#include <utility>

#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::xmpp {

namespace {

constexpr std::array<std::pair<FormType, std::string_view>, 4> kFormTypes{{
    {FormType::form, "form"},
    {FormType::submit, "submit"},
    {FormType::cancel, "cancel"},
    {FormType::result, "result"},
}};

constexpr std::array<std::pair<FieldType, std::string_view>, 10> kFieldTypes{{
    {FieldType::boolean, "boolean"},
    {FieldType::fixed, "fixed"},
    {FieldType::hidden, "hidden"},
    {FieldType::jid_multi, "jid-multi"},
    {FieldType::jid_single, "jid-single"},
    {FieldType::list_multi, "list-multi"},
    {FieldType::list_single, "list-single"},
    {FieldType::text_multi, "text-multi"},
    {FieldType::text_private, "text-private"},
    {FieldType::text_single, "text-single"},
}};

constexpr std::string_view kFormTypeVar = "FORM_TYPE";

[[noreturn]] void fail(const std::string& problem) {
  throw PayloadError("data form: " + problem);
}

std::string field_name(const FormField& f) {
  return f.var.empty() ? std::string("fixed field") : "field '" + f.var + "'";
}

[[noreturn]] void fail_field(const FormField& f, const std::string& problem) {
  throw PayloadError("data form " + field_name(f) + ": " + problem);
}

bool is_list(FieldType t) {
  return t == FieldType::list_single || t == FieldType::list_multi;
}

bool is_jid(FieldType t) {
  return t == FieldType::jid_single || t == FieldType::jid_multi;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

FormField parse_field(const Element& e) {
  FormField f;
  f.var = std::string(e.attr("var"));
  f.label = std::string(e.attr("label"));
  if (const std::string* type = e.find_attr("type")) {
    // XEP-0004 §3.3: a type the receiver does not understand is taken as text-single.
    f.type = field_type_from_string(*type).value_or(FieldType::text_single);
  }
  if (f.var.empty() && f.type != FieldType::fixed) {
    throw PayloadError("data form: a field of type " + std::string(to_string(f.effective_type())) +
                       " has no 'var' attribute");
  }
  bool have_desc = false;
  for (const Element* c : e.child_elements()) {
    if (c->xmlns() != ns::data_forms) continue;  // e.g. XEP-0122 validation, XEP-0221 media
    if (c->name() == "value") {
      f.values.push_back(c->text());
    } else if (c->name() == "desc") {
      if (have_desc) fail_field(f, "<desc/> appears more than once");
      f.desc = c->text();
      have_desc = true;
    } else if (c->name() == "required") {
      f.required = true;
    } else if (c->name() == "option") {
      auto values = c->children("value", ns::data_forms);
      if (values.size() != 1) fail_field(f, "an <option/> must contain exactly one <value/>");
      FormOption o{std::string(c->attr("label")), values.front()->text()};
      for (const auto& existing : f.options) {
        if (existing.value == o.value) fail_field(f, "option " + quoted(o.value) + " is repeated");
      }
      f.options.push_back(std::move(o));
    }
  }
  if (f.type) {
    FieldType t = *f.type;
    if (!f.options.empty() && !is_list(t)) {
      fail_field(f, "options are only allowed in list-single and list-multi fields");
    }
    if (is_single_valued(t) && f.values.size() > 1) {
      fail_field(f, std::string(to_string(t)) + " fields take at most one value, got " +
                        std::to_string(f.values.size()));
    }
    if (t == FieldType::boolean && !f.value().empty() && !parse_form_boolean(f.value())) {
      fail_field(f, "boolean value must be 0, 1, true or false, got " + quoted(f.values.front()));
    }
  }
  return f;
}

// `submission`: the fields of a submitted form, where a field without 'var' sets nothing and
// is skipped unread. Clients that build the answer from the form they were sent (slixmpp's
// Form.reply(), used by poezio) echo the form's instruction fields with their type removed.
std::vector<FormField> parse_field_list(const Element& parent, std::string_view where,
                                        bool submission = false) {
  std::vector<FormField> out;
  std::set<std::string, std::less<>> vars;
  for (const Element* c : parent.children("field", ns::data_forms)) {
    if (submission && c->attr("var").empty()) continue;
    FormField f = parse_field(*c);
    if (!f.var.empty() && !vars.insert(f.var).second) {
      fail("field '" + f.var + "' appears more than once" + std::string(where));
    }
    out.push_back(std::move(f));
  }
  return out;
}

Element field_element(const FormField& f) {
  Element e("field", std::string(ns::data_forms));
  if (!f.var.empty()) e.set_attr("var", f.var);
  if (f.type) e.set_attr("type", to_string(*f.type));
  if (!f.label.empty()) e.set_attr("label", f.label);
  if (!f.desc.empty()) e.add_text_child("desc", f.desc);
  if (f.required) e.add_child("required");
  for (const auto& v : f.values) e.add_text_child("value", v);
  for (const auto& o : f.options) {
    Element& option = e.add_child("option");
    if (!o.label.empty()) option.set_attr("label", o.label);
    option.add_text_child("value", o.value);
  }
  return e;
}

std::optional<std::string> check_values(const FormField& offered, const FormField& given) {
  FieldType t = offered.effective_type();
  std::string name = field_name(offered);
  if (is_single_valued(t) && given.values.size() > 1) {
    return name + ": " + std::string(to_string(t)) + " fields take one value, got " +
           std::to_string(given.values.size());
  }
  for (const auto& v : given.values) {
    // XEP-0004 §3.6: an empty <value/> is how many clients say "no value"; whether that is
    // acceptable is the required check's business, not the type's.
    if (v.empty()) continue;
    if (t == FieldType::boolean && !parse_form_boolean(v)) {
      return name + ": boolean value must be 0, 1, true or false, got " + quoted(v);
    }
    if (is_list(t) && !offered.has_option(v)) {
      return name + ": " + quoted(v) + " is not one of the offered options";
    }
    if (is_jid(t)) {
      std::string why;
      if (!Jid::try_parse(v, &why))
        return name + ": " + quoted(v) + " is not a valid JID (" + why + ")";
    }
  }
  return std::nullopt;
}

bool has_content(const FormField& f) {
  for (const auto& v : f.values) {
    if (!v.empty()) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(FormType type) {
  return kFormTypes[static_cast<size_t>(type)].second;
}

std::string_view to_string(FieldType type) {
  return kFieldTypes[static_cast<size_t>(type)].second;
}

std::optional<FormType> form_type_from_string(std::string_view s) {
  for (const auto& [t, name] : kFormTypes) {
    if (name == s) return t;
  }
  return std::nullopt;
}

std::optional<FieldType> field_type_from_string(std::string_view s) {
  for (const auto& [t, name] : kFieldTypes) {
    if (name == s) return t;
  }
  return std::nullopt;
}

std::optional<bool> parse_form_boolean(std::string_view s) {
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  return std::nullopt;
}

bool is_single_valued(FieldType type) {
  return type != FieldType::list_multi && type != FieldType::jid_multi &&
         type != FieldType::text_multi && type != FieldType::hidden;
}

std::optional<bool> FormField::bool_value() const {
  if (values.empty()) return std::nullopt;
  return parse_form_boolean(values.front());
}

bool FormField::has_option(std::string_view v) const {
  for (const auto& o : options) {
    if (o.value == v) return true;
  }
  return false;
}

FormField FormField::hidden(std::string var, std::string value) {
  FormField f;
  f.var = std::move(var);
  f.type = FieldType::hidden;
  f.values.push_back(std::move(value));
  return f;
}

FormField FormField::fixed(std::string text) {
  FormField f;
  f.type = FieldType::fixed;
  f.values.push_back(std::move(text));
  return f;
}

FormField FormField::boolean(std::string var, bool value, std::string label) {
  FormField f;
  f.var = std::move(var);
  f.type = FieldType::boolean;
  f.label = std::move(label);
  f.values.push_back(value ? "1" : "0");
  return f;
}

FormField FormField::text_single(std::string var, std::string value, std::string label) {
  FormField f;
  f.var = std::move(var);
  f.type = FieldType::text_single;
  f.label = std::move(label);
  f.values.push_back(std::move(value));
  return f;
}

FormField FormField::list_single(std::string var, std::string value,
                                 std::vector<FormOption> options, std::string label) {
  FormField f;
  f.var = std::move(var);
  f.type = FieldType::list_single;
  f.label = std::move(label);
  f.values.push_back(std::move(value));
  f.options = std::move(options);
  return f;
}

const FormField* DataForm::field(std::string_view var) const {
  for (const auto& f : fields) {
    if (f.var == var) return &f;
  }
  return nullptr;
}

FormField* DataForm::field(std::string_view var) {
  for (auto& f : fields) {
    if (f.var == var) return &f;
  }
  return nullptr;
}

std::string_view DataForm::form_type() const {
  const FormField* f = field(kFormTypeVar);
  return f ? f->value() : std::string_view();
}

void DataForm::set_form_type(std::string form_type) {
  if (FormField* f = field(kFormTypeVar)) {
    f->values = {std::move(form_type)};
    return;
  }
  fields.insert(fields.begin(), FormField::hidden(std::string(kFormTypeVar), std::move(form_type)));
}

std::optional<std::string> DataForm::value(std::string_view var) const {
  const FormField* f = field(var);
  if (!f || f->values.empty()) return std::nullopt;
  return f->values.front();
}

std::vector<std::string> DataForm::values(std::string_view var) const {
  const FormField* f = field(var);
  return f ? f->values : std::vector<std::string>();
}

std::optional<bool> DataForm::bool_value(std::string_view var) const {
  const FormField* f = field(var);
  return f ? f->bool_value() : std::nullopt;
}

DataForm parse_data_form(const Element& x) {
  if (!x.is("x", ns::data_forms)) {
    fail("expected <x xmlns='" + std::string(ns::data_forms) + "'/>, got <" + x.name() + "/>");
  }
  DataForm form;
  const std::string* type = x.find_attr("type");
  if (!type) fail("the 'type' attribute is missing");
  auto parsed = form_type_from_string(*type);
  if (!parsed) fail("type " + quoted(*type) + " is not one of form, submit, cancel, result");
  form.type = *parsed;

  bool have_title = false;
  bool have_reported = false;
  for (const Element* c : x.child_elements()) {
    if (c->xmlns() != ns::data_forms) continue;
    if (c->name() == "title") {
      if (have_title) fail("<title/> appears more than once");
      form.title = c->text();
      have_title = true;
    } else if (c->name() == "instructions") {
      form.instructions.push_back(c->text());
    } else if (c->name() == "reported") {
      if (have_reported) fail("<reported/> appears more than once");
      form.reported = parse_field_list(*c, " in <reported/>");
      if (form.reported.empty()) fail("<reported/> must contain at least one field");
      have_reported = true;
    } else if (c->name() == "item") {
      // Older senders put <item/> before <reported/>; XEP-0004 §3.4 asks for leniency.
      form.items.push_back(parse_field_list(*c, " in an <item/>"));
      if (form.items.back().empty()) fail("an <item/> must contain at least one field");
    }
  }
  form.fields = parse_field_list(x, "", form.type == FormType::submit);
  return form;
}

Element to_element(const DataForm& form) {
  Element x("x", std::string(ns::data_forms));
  x.set_attr("type", to_string(form.type));
  if (!form.title.empty()) x.add_text_child("title", form.title);
  for (const auto& i : form.instructions) x.add_text_child("instructions", i);
  for (const auto& f : form.fields) x.add_child(field_element(f));
  if (!form.reported.empty()) {
    Element& reported = x.add_child("reported");
    for (const auto& f : form.reported) reported.add_child(field_element(f));
  }
  for (const auto& item : form.items) {
    Element& e = x.add_child("item");
    for (const auto& f : item) e.add_child(field_element(f));
  }
  return x;
}

std::optional<std::string> validate_submission(const DataForm& submitted, const DataForm& offered) {
  if (submitted.type != FormType::submit) {
    return "the form must be of type submit, not " + std::string(to_string(submitted.type));
  }
  if (!offered.form_type().empty() && submitted.field(kFormTypeVar) &&
      submitted.form_type() != offered.form_type()) {
    return "FORM_TYPE " + quoted(submitted.form_type()) + " does not match " +
           quoted(offered.form_type());
  }
  for (const auto& given : submitted.fields) {
    const FormField* field = offered.field(given.var);
    if (!field || given.var.empty()) continue;
    if (auto problem = check_values(*field, given)) return problem;
  }
  for (const auto& field : offered.fields) {
    if (!field.required) continue;
    const FormField* given = submitted.field(field.var);
    if (!given || !has_content(*given)) return field_name(field) + ": a value is required";
  }
  return std::nullopt;
}

}  // namespace commonroom::xmpp
