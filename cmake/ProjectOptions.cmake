# Warnings and sanitizers for project code only (not for third-party headers).
add_library(lgsp_options INTERFACE)
target_compile_options(lgsp_options INTERFACE -Wall -Wextra -Werror)
# GCC 12 at -O3 reports -Wrestrict inside std::string concatenation (GCC bug 105329, fixed in 13):
# a false positive in the standard library, not in our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(lgsp_options INTERFACE -Wno-restrict)
endif()
# Asio and Beast define these; keep them consistent across all translation units.
target_compile_definitions(lgsp_options INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
if(LGSP_SANITIZE)
  target_compile_options(lgsp_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(lgsp_options INTERFACE -fsanitize=address,undefined)
endif()
if(LGSP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LGSP_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++-16, or tests/fuzz/build.sh")
  endif()
  target_compile_options(lgsp_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(lgsp_options INTERFACE -fsanitize=address,undefined)
endif()

# The ~35 test programs each link the big static libraries with their debug info (100-200 MB each): GNU ld
# takes ~3.5x the CPU time of lld for one (7.3 s against 2.1 s for node_hsm_tests), so the tree links with
# lld where the compiler accepts -fuse-ld=lld (docs/benchmarks.md, "Build time"). -DLGSP_LLD=OFF: the
# system linker.
if(LGSP_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld LGSP_HAVE_LLD)
  if(LGSP_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()
