# One warning set for every target of ours. TCPKEEP_WERROR=ON (scripts/test passes the variable
# of the same name) makes a new warning fail the build instead of scrolling past.
option(TCPKEEP_WERROR "Treat compiler warnings as errors" OFF)
add_library(tcpkeep_warnings INTERFACE)
target_compile_options(tcpkeep_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                                                  $<$<BOOL:${TCPKEEP_WERROR}>:-Werror>)
