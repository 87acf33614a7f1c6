# scripts/test --sanitize=address,undefined configures TCPKEEP_SANITIZE; everything built here uses it.
if(TCPKEEP_SANITIZE)
  add_compile_options(-fsanitize=${TCPKEEP_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${TCPKEEP_SANITIZE})

  # The tests also load the sanitized shim into programs not built here (python3, sh, curl, java):
  # a sanitizer runtime must be loaded before anything else, so tests preload it in front of the
  # shim. ctest exports TCPKEEP_SANITIZER_PRELOAD (the runtimes, ':'-separated) and the options
  # every test process runs with; tests/support/tcpkeep_test.py's shim_env() reads it.
  set(tcpkeep_sanitizer_runtimes "")
  string(REPLACE "," ";" tcpkeep_sanitizers "${TCPKEEP_SANITIZE}")
  foreach(sanitizer IN LISTS tcpkeep_sanitizers)
    set(runtime "")
    if(sanitizer STREQUAL "address")
      set(runtime libasan.so)
    elseif(sanitizer STREQUAL "undefined")
      set(runtime libubsan.so)
    elseif(sanitizer STREQUAL "thread")
      set(runtime libtsan.so)
    elseif(sanitizer STREQUAL "leak")
      set(runtime liblsan.so)
    endif()
    if(runtime)
      execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${runtime}
                      OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
      file(REAL_PATH "${path}" path)
      list(APPEND tcpkeep_sanitizer_runtimes "${path}")
    endif()
  endforeach()
  list(JOIN tcpkeep_sanitizer_runtimes ":" tcpkeep_sanitizer_preload)
  # Programs not built here leak at exit by design (python3, java): leak checks belong to our own
  # binaries (tests/hardening leak tests run them with LSan on). A late-loaded runtime (a program
  # the tool starts with only the shim preloaded) must not abort: verify_asan_link_order=0.
  set(tcpkeep_sanitizer_env_file ${PROJECT_BINARY_DIR}/sanitizer-environment.cmake)
  file(WRITE ${tcpkeep_sanitizer_env_file}
    "set(ENV{TCPKEEP_SANITIZER_PRELOAD} \"${tcpkeep_sanitizer_preload}\")\n"
    "set(ENV{ASAN_OPTIONS} \"detect_leaks=0:verify_asan_link_order=0:abort_on_error=0:halt_on_error=1\")\n"
    "set(ENV{UBSAN_OPTIONS} \"print_stacktrace=1:halt_on_error=1\")\n"
    "set(ENV{TSAN_OPTIONS} \"halt_on_error=1:second_deadlock_stack=1\")\n")
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY TEST_INCLUDE_FILES ${tcpkeep_sanitizer_env_file})

  add_library(tcpkeep_sanitizer_defaults OBJECT ${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.c)
  set_property(TARGET tcpkeep_sanitizer_defaults PROPERTY COMPILE_OPTIONS "")  # plain code: links anywhere, -static too
  link_libraries(tcpkeep_sanitizer_defaults)
endif()

# A target that cannot carry a sanitizer runtime (a -static executable) is built without one.
function(tcpkeep_without_sanitizers target)
  set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS "")
  set_property(TARGET ${target} PROPERTY LINK_OPTIONS "")
endfunction()
