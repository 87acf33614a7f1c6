# Install layout (GNUInstallDirs), the same in `cmake --install` and in the CPack package:
#   <bindir>/tcpkeep
#   <libdir>/tcpkeep/libtcpkeep.so and libtcpkeep-engine.so (the shim dlopens the engine from its
#     own directory, so they are always installed together; tools/launch/shim_location.cpp finds the shim
#     from <bindir> through the same relative path)
#   <mandir>/man1/tcpkeep.1, <mandir>/man5/tcpkeep-policy.5
#   <docdir>/examples/...
#   <sysconfdir>/tcpkeep/policy.toml: the embedded default written out, never over an existing one.
# `cmake --install BUILD --strip` strips the binaries (CPack does it always: cmake/packaging.cmake).
set(TCPKEEP_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}/tcpkeep")

install(TARGETS tcpkeep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tcpkeep_shim tcpkeep_engine LIBRARY DESTINATION ${TCPKEEP_INSTALL_LIBDIR})

# The man pages name this installation's paths (@TCPKEEP_SYSCONF_POLICY@, @TCPKEEP_SHIM_DIR@).
set(TCPKEEP_SHIM_DIR "${CMAKE_INSTALL_FULL_LIBDIR}/tcpkeep")
foreach(page tcpkeep.1 tcpkeep-policy.5)
  configure_file(${PROJECT_SOURCE_DIR}/man/${page}.in ${PROJECT_BINARY_DIR}/man/${page} @ONLY)
  string(REGEX MATCH "[0-9]$" section ${page})
  install(FILES ${PROJECT_BINARY_DIR}/man/${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

# The examples as users copy them; CMakeLists.txt only builds the legacy programs in this tree.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        PATTERN CMakeLists.txt EXCLUDE
        PATTERN "*.sh" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# The system policy is the administrator's file: install it only where none exists yet. file(INSTALL)
# puts DESTDIR in front of the absolute destination itself (CPack stages through DESTDIR as well).
set(tcpkeep_policy_dir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/tcpkeep")
install(CODE "
  if(EXISTS \"\$ENV{DESTDIR}${tcpkeep_policy_dir}/policy.toml\")
    message(STATUS \"Keeping: \$ENV{DESTDIR}${tcpkeep_policy_dir}/policy.toml (exists)\")
  else()
    file(INSTALL \"${PROJECT_SOURCE_DIR}/examples/policies/default.toml\"
         DESTINATION \"${tcpkeep_policy_dir}\" RENAME policy.toml)
  endif()
")

include(${CMAKE_CURRENT_LIST_DIR}/packaging.cmake)
