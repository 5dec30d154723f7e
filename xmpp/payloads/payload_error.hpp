// The one exception payload parsers throw: input that breaks the protocol, explained.
#pragma once
#include <stdexcept>

namespace commonroom::xmpp {

// what() names the element and the problem precisely, e.g. "data form field 'public':
// boolean value must be 0, 1, true or false, got \"yes\"", so a service can put it in the
// <text/> of its bad-request reply unchanged.
class PayloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace commonroom::xmpp
