# Install layout (GNUInstallDirs): bin/tcpkeep, <libdir>/tcpkeep/libtcpkeep.so and its engine,
# share/doc/tcpkeep/examples, and an example policy that never overwrites an existing one.
set(TCPKEEP_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}/tcpkeep")
if(TARGET tcpkeep)
  install(TARGETS tcpkeep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
foreach(lib tcpkeep_shim tcpkeep_engine)
  if(TARGET ${lib})
    install(TARGETS ${lib} LIBRARY DESTINATION ${TCPKEEP_INSTALL_LIBDIR})
  endif()
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(CODE "
  set(policy \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_SYSCONFDIR}/tcpkeep/policy.toml\")
  if(NOT EXISTS \"\${policy}\")
    file(INSTALL \"${PROJECT_SOURCE_DIR}/examples/policies/default.toml\" DESTINATION \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_SYSCONFDIR}/tcpkeep\" RENAME policy.toml)
  endif()
")
