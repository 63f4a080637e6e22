// HTTP basic authentication for the REST API's write requests (restapi.authentication):
// decoding the Authorization header and comparing in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/config.hpp"

namespace ha::agent::rest {

// Nothing when the text is not valid base64.
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

// True when `authorization` (the header's value, if sent) carries exactly these credentials.
bool basic_auth_matches(const std::optional<std::string>& authorization,
                        const Credentials& expected);

}  // namespace ha::agent::rest
