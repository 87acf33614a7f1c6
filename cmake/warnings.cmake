# One warning set for every target of ours.
add_library(tcpkeep_warnings INTERFACE)
target_compile_options(tcpkeep_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
