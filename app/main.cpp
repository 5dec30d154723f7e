// commonroom: the university chat service component (see `commonroom --help`).
#include <iostream>
#include <string>
#include <vector>

#include "app/commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return commonroom::app::run_command_line(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "commonroom: " << e.what() << "\n";
    return commonroom::app::kExitFailure;
  }
}
