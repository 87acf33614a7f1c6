# CPack: a Debian package of the install tree (cmake/install-rules.cmake), stripped.
#   cmake --build BUILD && cpack --config BUILD/CPackConfig.cmake -B OUTDIR
#   -> OUTDIR/tcpkeep_<version>_<arch>.deb
# The package holds the paths compiled into the tool and the engine (the system policy, the
# shim relative to the tool), so it installs under the configured prefix: configure a build for
# a package with -DCMAKE_INSTALL_PREFIX=/usr (then <libdir> is lib/<multiarch> and the policy
# /etc/tcpkeep/policy.toml, as examples/ assume).
set(CPACK_PACKAGE_NAME tcpkeep)
set(CPACK_PACKAGE_VENDOR tcpkeep)
set(CPACK_PACKAGE_CONTACT "tcpkeep maintainers <tcpkeep@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "An LD_PRELOAD shim that sets TCP keepalive and TCP_USER_TIMEOUT on
the TCP sockets of unmodified programs from a TOML policy, and the tcpkeep
tool to run programs under it, verify the values live processes' sockets
hold, and apply a policy to running processes without restarting them.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
# cpack packages what was built, like `cmake --install`: without this, its preinstall step builds
# every target first (tests and benchmarks included), and the package could differ from the tree.
if(NOT DEFINED CMAKE_SKIP_INSTALL_ALL_DEPENDENCY)
  set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
endif()
# The system policy lives outside the prefix (/etc): stage through DESTDIR so it lands in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)  # the engine is ~12 MB with debug info, ~1 MB without

set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tcpkeep_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Dependencies from dpkg-shlibdeps (dpkg-dev, part of build-essential): the tool needs libc6,
# libstdc++6 and libgcc-s1; the shim only libc6; the engine carries its C++ runtime statically.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg never replaces an administrator's policy: it is a conffile (kept on upgrade, asked about
# when a file was there before the package).
set(tcpkeep_conffiles "${PROJECT_BINARY_DIR}/packaging/conffiles")
file(CONFIGURE OUTPUT "${tcpkeep_conffiles}" CONTENT "${CMAKE_INSTALL_FULL_SYSCONFDIR}/tcpkeep/policy.toml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${tcpkeep_conffiles}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "tcpkeep: a package made from this build installs under ${CMAKE_INSTALL_PREFIX}; "
                 "use -DCMAKE_INSTALL_PREFIX=/usr for a Debian package")
endif()
include(CPack)
