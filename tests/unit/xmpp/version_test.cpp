#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/payloads/version.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::xmpp;

TEST(SoftwareVersion, ReadsTheXep0092Result) {
  SoftwareVersion v = parse_software_version(parse_element(R"(
    <query xmlns='jabber:iq:version'>
      <name>Exodus</name>
      <version>0.7.0.4</version>
      <os>Windows-XP 5.01.2600</os>
    </query>)"));
  EXPECT_EQ(v.name, "Exodus");
  EXPECT_EQ(v.version, "0.7.0.4");
  EXPECT_EQ(v.os, "Windows-XP 5.01.2600");
  EXPECT_EQ(parse_software_version(to_element(v)), v);
}

TEST(SoftwareVersion, LeavesTheOperatingSystemOutUnlessSet) {
  SoftwareVersion v{"commonroom", "0.1.0", std::nullopt};
  EXPECT_EQ(to_string(to_element(v)),
            "<query xmlns='jabber:iq:version'><name>commonroom</name><version>0.1.0</version>"
            "</query>");
  EXPECT_EQ(parse_software_version(to_element(v)), v);
}

TEST(SoftwareVersion, RequiresNameAndVersionOnce) {
  EXPECT_THROW(parse_software_version(
                   parse_element("<query xmlns='jabber:iq:version'><version>1</version></query>")),
               PayloadError);
  EXPECT_THROW(parse_software_version(
                   parse_element("<query xmlns='jabber:iq:version'><name>a</name></query>")),
               PayloadError);
  EXPECT_THROW(parse_software_version(
                   parse_element("<query xmlns='jabber:iq:version'><name>a</name><name>b</name>"
                                 "<version>1</version></query>")),
               PayloadError);
  EXPECT_THROW(parse_software_version(parse_element("<query xmlns='jabber:iq:last'/>")),
               PayloadError);
}
