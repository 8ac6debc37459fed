// Helpers shared by the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

// Fails with both strings shown when `needle` is not in `haystack`.
#define EXPECT_CONTAINS(haystack, needle)                                                            \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "'" << (haystack) << "'\n" \
                                                                   << "does not contain '" << (needle) << "'"
