# Warnings and sanitizers for project code only (not for third-party headers).
add_library(lgsp_options INTERFACE)
target_compile_options(lgsp_options INTERFACE -Wall -Wextra -Werror)
# Asio and Beast define these; keep them consistent across all translation units.
target_compile_definitions(lgsp_options INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
if(LGSP_SANITIZE)
  target_compile_options(lgsp_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(lgsp_options INTERFACE -fsanitize=address,undefined)
endif()
