// Xerces-C++ set-up shared by the stream parser and its benchmark: one process-wide
// initialisation and one hardened SAX2 reader configuration.
#pragma once
#include <memory>

#include <xercesc/sax2/SAX2XMLReader.hpp>
#include <xercesc/util/SecurityManager.hpp>

namespace commonroom::xmpp::detail {

// XMLPlatformUtils::Initialize() exactly once per process (thread-safe); never terminated,
// because readers may live until static destruction.
void ensure_xerces_initialized();

// A SAX2 reader set up for XMPP streams (RFC 6120 §11): namespaces on, no validation, no
// grammar caching, no external DTD loading, no default entity resolution, an entity
// expansion limit from `security` (which must outlive the reader), source offsets off, and
// low-water-mark 0 so a short final stanza is handed over without waiting for more bytes.
// Handlers are left for the caller to install (a LexicalHandler whose startDTD throws is
// what actually refuses DOCTYPEs on 3.2.4, which has no disallow-doctype switch).
std::unique_ptr<xercesc::SAX2XMLReader> make_stream_reader(xercesc::SecurityManager& security);

}  // namespace commonroom::xmpp::detail
