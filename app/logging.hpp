// Routes all Poco loggers to the console or a rotating file, as [logging] says.
#pragma once

#include "app/config.hpp"

namespace commonroom::app {

// Installs the channel and levels on the root logger and on every logger created so far;
// loggers created later inherit them. Call before starting any thread that logs.
void setup_logging(const LoggingSettings& settings);

}  // namespace commonroom::app
