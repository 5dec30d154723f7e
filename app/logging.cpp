#include "app/logging.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>

namespace commonroom::app {

void setup_logging(const LoggingSettings& settings) {
  Poco::AutoPtr<Poco::Channel> sink;
  if (settings.channel == "file") {
    Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(settings.file));
    // Bounded disk use without an external logrotate: 10 MB per file, 5 old files kept.
    file->setProperty("rotation", "10 M");
    file->setProperty("archive", "number");
    file->setProperty("purgeCount", "5");
    file->setProperty("times", "utc");
    sink = file;
  } else {
    sink = new Poco::ConsoleChannel();  // std::clog, i.e. stderr: stdout stays for command output
  }
  Poco::AutoPtr<Poco::PatternFormatter> formatter(
      new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
  formatter->setProperty("times", "UTC");
  Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, sink));

  Poco::Logger::root().setChannel(channel);
  // The static setters reach loggers that already exist (e.g. created by static objects).
  Poco::Logger::setChannel("", channel);
  apply_log_levels(settings);
}

void apply_log_levels(const LoggingSettings& settings) {
  const int level = Poco::Logger::parseLevel(settings.level);
  Poco::Logger::root().setLevel(level);
  Poco::Logger::setLevel("", level);
  for (const auto& [name, value] : settings.levels) {
    Poco::Logger::get(name).setLevel(Poco::Logger::parseLevel(value));
    Poco::Logger::setLevel(name, Poco::Logger::parseLevel(value));  // and its children
  }
}

}  // namespace commonroom::app
