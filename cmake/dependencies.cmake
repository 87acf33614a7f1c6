# Debian 12 packages only. toml++ and fmt are used header-only so the shim's engine links no
# extra shared libraries; toml++ is compiled in exactly one translation unit, without exceptions.
find_package(fmt 9 REQUIRED)
find_path(TOMLPLUSPLUS_INCLUDE_DIR toml++/toml.h REQUIRED)
add_library(tcpkeep_toml INTERFACE)
target_include_directories(tcpkeep_toml SYSTEM INTERFACE ${TOMLPLUSPLUS_INCLUDE_DIR})
target_compile_definitions(tcpkeep_toml INTERFACE TOML_HEADER_ONLY=1 TOML_EXCEPTIONS=0 TOML_ENABLE_FORMATTERS=0)

find_package(CLI11 2 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
if(TCPKEEP_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
