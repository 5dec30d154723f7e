#include "xmpp/stream_parser_xerces.hpp"

#include <xercesc/sax2/XMLReaderFactory.hpp>
#include <xercesc/util/PlatformUtils.hpp>
#include <xercesc/util/XMLUni.hpp>

namespace commonroom::xmpp::detail {

namespace xc = xercesc;

void ensure_xerces_initialized() {
  static const bool initialized = [] {
    xc::XMLPlatformUtils::Initialize();
    return true;
  }();
  (void)initialized;
}

std::unique_ptr<xc::SAX2XMLReader> make_stream_reader(xc::SecurityManager& security) {
  ensure_xerces_initialized();
  std::unique_ptr<xc::SAX2XMLReader> reader(xc::XMLReaderFactory::createXMLReader());
  reader->setFeature(xc::XMLUni::fgSAX2CoreNameSpaces, true);
  reader->setFeature(xc::XMLUni::fgSAX2CoreNameSpacePrefixes, false);
  reader->setFeature(xc::XMLUni::fgSAX2CoreValidation, false);
  reader->setFeature(xc::XMLUni::fgXercesSchema, false);
  reader->setFeature(xc::XMLUni::fgXercesLoadSchema, false);
  reader->setFeature(xc::XMLUni::fgXercesLoadExternalDTD, false);
  reader->setFeature(xc::XMLUni::fgXercesDisableDefaultEntityResolution, true);
  reader->setFeature(xc::XMLUni::fgXercesCacheGrammarFromParse, false);
  reader->setFeature(xc::XMLUni::fgXercesUseCachedGrammarInParse, false);
  reader->setFeature(xc::XMLUni::fgXercesCalculateSrcOfs, false);
  reader->setFeature(xc::XMLUni::fgXercesContinueAfterFatalError, false);
  // Belt and braces: with startDTD throwing, no entity is ever declared, but a limit keeps
  // an expansion bomb bounded should a future Xerces call order change.
  security.setEntityExpansionLimit(16);
  reader->setProperty(xc::XMLUni::fgXercesSecurityManager, &security);
  XMLSize_t low_water_mark = 0;  // copied by the reader
  reader->setProperty(xc::XMLUni::fgXercesLowWaterMark, &low_water_mark);
  return reader;
}

}  // namespace commonroom::xmpp::detail
