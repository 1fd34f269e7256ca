// Raw bytes of a connection through the server's request reading (Beast's parser with the server's
// limits, then corridor's HttpRequest), request after request while the connection is kept alive.
#include <string>

#include "engine/io/http_server.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool http_request(std::string_view input) {
  HttpServerOptions options;
  // The lowest http.max_body_bytes a configuration may set: small inputs reach the limit.
  options.max_body_bytes = 1024;
  bool read_one = false;
  for (;;) {
    const RequestRead read = read_request(input, options);
    if (read.consumed > input.size()) throw PropertyViolation("read_request took more bytes than it was given");
    if (read.request) {
      if (read.request->body.size() > options.max_body_bytes)
        throw PropertyViolation("a body over the limit reached the handler (" + std::to_string(read.request->body.size()) + " bytes)");
    } else if (read.refused_status != 0 && read.refused_status != 400 && read.refused_status != 413 &&
               read.refused_status != 431) {
      throw PropertyViolation("unexpected refusal " + std::to_string(read.refused_status));
    }
    read_one = read_one || read.request.has_value();
    if (!read.request || !read.keep_alive || read.consumed == 0) return read_one;
    input.remove_prefix(read.consumed);
  }
}

}  // namespace corridor::fuzz
