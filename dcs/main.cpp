// hadcs: the entry point of one DCS member. Parses and checks the settings; the server itself
// arrives with issue #4, and until then this says so rather than pretending to serve.
#include <iostream>

#include "dcs/server_options.hpp"

int main(int argc, char** argv) {
  const auto cl = ha::dcs::parse_server_command_line(argc, argv);
  std::cout << cl.out;
  if (!cl.err.empty()) std::cerr << cl.err << '\n';
  if (!cl.run) return cl.exit_code;
  std::cerr << "hadcs: the server is not built yet (see issue #4)\n";
  return 1;
}
