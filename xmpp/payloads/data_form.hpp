// XEP-0004 data forms: room configuration, search forms, disco extensions (XEP-0128).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"

namespace commonroom::xmpp {

enum class FormType { form, submit, cancel, result };
enum class FieldType {
  boolean,
  fixed,
  hidden,
  jid_multi,
  jid_single,
  list_multi,
  list_single,
  text_multi,
  text_private,
  text_single,
};

std::string_view to_string(FormType type);
std::string_view to_string(FieldType type);  // "list-single"
std::optional<FormType> form_type_from_string(std::string_view s);
std::optional<FieldType> field_type_from_string(std::string_view s);
// XEP-0004 booleans are xs:boolean: "1"/"true" or "0"/"false"; anything else is nullopt.
std::optional<bool> parse_form_boolean(std::string_view s);
// Fields of these types carry at most one <value/> (XEP-0004 §3.2).
bool is_single_valued(FieldType type);

struct FormOption {
  std::string label;
  std::string value;
  bool operator==(const FormOption&) const = default;
};

struct FormField {
  std::string var;  // may be empty only for type fixed
  // Absent type: text-single in a form; in submissions the receiver infers it from the
  // form it offered. Kept optional so a parsed form serializes back as it came.
  std::optional<FieldType> type;
  std::string label;
  std::string desc;
  bool required = false;
  std::vector<std::string> values;
  std::vector<FormOption> options;  // list-single / list-multi only

  FieldType effective_type() const { return type.value_or(FieldType::text_single); }
  // The first value, "" when there is none.
  std::string_view value() const { return values.empty() ? std::string_view() : values.front(); }
  // A boolean field's value: nullopt when absent or not a valid boolean.
  std::optional<bool> bool_value() const;
  bool has_option(std::string_view value) const;

  static FormField hidden(std::string var, std::string value);
  static FormField fixed(std::string text);
  static FormField boolean(std::string var, bool value, std::string label = {});
  static FormField text_single(std::string var, std::string value, std::string label = {});
  static FormField list_single(std::string var, std::string value, std::vector<FormOption> options,
                               std::string label = {});

  bool operator==(const FormField&) const = default;
};

struct DataForm {
  FormType type = FormType::form;
  std::string title;
  std::vector<std::string> instructions;
  std::vector<FormField> fields;
  // Result forms with several items (XEP-0004 §3.4): the table header and its rows.
  std::vector<FormField> reported;
  std::vector<std::vector<FormField>> items;

  const FormField* field(std::string_view var) const;
  FormField* field(std::string_view var);
  // The hidden FORM_TYPE field's value (XEP-0068), "" when there is none.
  std::string_view form_type() const;
  // Sets FORM_TYPE, adding it as the first field if missing.
  void set_form_type(std::string form_type);
  // Typed accessors for the top-level fields.
  std::optional<std::string> value(std::string_view var) const;  // first value
  std::vector<std::string> values(std::string_view var) const;
  std::optional<bool> bool_value(std::string_view var) const;

  bool operator==(const DataForm&) const = default;
};

// Parses <x xmlns='jabber:x:data'/>. Throws PayloadError (naming the field) for: a missing
// or unknown form type, a non-fixed field without 'var', duplicate vars, more than one
// value in a single-valued field, a boolean value other than 0/1/true/false, options on a
// field that is not a list, an option without exactly one value, duplicate options, more
// than one <reported/>, or a <reported/>/<item/> without fields. An unknown field type is
// read as text-single, as XEP-0004 §3.3 requires. In a submitted form (type submit), fields
// without 'var' carry no setting and are skipped: be liberal in what a client echoes back.
DataForm parse_data_form(const Element& x);
Element to_element(const DataForm& form);

// Checks a submitted form against the form that was offered (XEP-0004 §3.4: the processing
// entity validates). Returns a message naming the field and the problem, or nullopt when
// the submission is acceptable; answer a problem with not-acceptable. Types come from the
// offered form; fields the offered form does not have are ignored, as §3.1 requires.
std::optional<std::string> validate_submission(const DataForm& submitted, const DataForm& offered);

}  // namespace commonroom::xmpp
