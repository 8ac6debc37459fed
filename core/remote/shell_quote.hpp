// Remote commands over SSH: the server hands the command line to the remote
// user's shell, so every word we send is quoted here (POSIX single quotes),
// whatever it holds. Nothing from a user ever reaches a shell unquoted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace orrery::remote {

// 'word', with each ' written as '\'' ; the empty word becomes ''.
std::string shell_quote(std::string_view word);

// The words quoted and joined by spaces: one shell command running argv as is.
std::string shell_command(const std::vector<std::string>& argv);

}  // namespace orrery::remote
