add_library(orrery_warnings INTERFACE)
add_library(orrery::warnings ALIAS orrery_warnings)
target_compile_options(orrery_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough>)
# In a unity build a .cpp file is no longer the main file, so GCC's -Wsubobject-linkage
# (meant for classes in headers that hold types from an anonymous namespace) fires on every
# pimpl Impl defined in a .cpp beside its anonymous helpers. Off only there.
if(ORRERY_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(orrery_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-subobject-linkage>)
endif()

# Sanitizer flags for the second, instrumented build of the Qt-free core.
# Unoptimised, with line tables only: instrumented -O2 -g took ~4x as long to compile
# (42 s against 10 s for a JSON-heavy file on the 2-core machine) and was half of the
# whole build, for unit tests that run in seconds either way. The appended -O0 -g1
# override the build type's -O2 -g (the last option of each kind wins).
add_library(orrery_sanitizers INTERFACE)
target_compile_options(orrery_sanitizers INTERFACE
  -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O0 -g1)
target_link_options(orrery_sanitizers INTERFACE -fsanitize=address,undefined)
