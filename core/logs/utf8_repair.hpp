// Log files are bytes: a rank may print Latin-1, a binary blob or half a multi-byte
// character cut by a buffer. Templates go to CSV, Qt widgets and JSON, which want UTF-8,
// so text from a log is made valid UTF-8 before it is shown: every byte that does not
// start a well-formed sequence (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF) becomes U+FFFD, the replacement character.
#pragma once

#include <string>
#include <string_view>

namespace orrery::logs {

bool is_valid_utf8(std::string_view bytes);

// `bytes` with each invalid byte replaced by U+FFFD; valid input comes back unchanged.
std::string repair_utf8(std::string_view bytes);

}  // namespace orrery::logs
