// Reading the shell commands out of README.md, so that a test can run them
// as a reader would (issue 4: "a test that fails when the README's
// reflection commands stop working").
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mesh::contract {

// The body of the "## <title>..." section: from its heading (matched by
// prefix) to the next "## " heading. Empty when there is no such section.
std::string Section(absl::string_view markdown, absl::string_view title);

// The contents of the ``` fenced code blocks of a text, in order.
std::vector<std::string> CodeBlocks(absl::string_view markdown);

// Splits a code block into commands the way a POSIX shell would, for the
// subset the README uses: words separated by blanks, a command per line,
// backslash-newline continuations, '...' and "..." quoting, # comments,
// NAME=value assignments (remembered in `variables`, not returned) and
// $NAME expansion (split into words outside double quotes).
std::vector<std::vector<std::string>> ShellCommands(absl::string_view block,
                                                    std::map<std::string, std::string>& variables);

// The "| <name> ... | `127.0.0.1:<port>` |" rows of the README's table of
// processes: port → the first word of the name ("billing", "purchase").
std::map<std::string, std::string> PortsByService(absl::string_view markdown);

}  // namespace mesh::contract
