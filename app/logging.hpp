// Routes all Poco loggers to the console or a rotating file, as [logging] says.
#pragma once

#include "app/config.hpp"

namespace commonroom::app {

// Installs the channel and levels on the root logger and on every logger created so far;
// loggers created later inherit them. Call before starting any thread that logs.
void setup_logging(const LoggingSettings& settings);

// Sets the root level and the level.<logger> levels again (a configuration reload); a
// logger whose own level was removed follows the root level again. The channel stays.
void apply_log_levels(const LoggingSettings& settings);

}  // namespace commonroom::app
