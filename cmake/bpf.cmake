# Cgroup mode's BPF programs: compiled with clang -target bpf and embedded in the tool through a
# libbpf skeleton (bpftool gen skeleton). Debian 12: clang, bpftool, libbpf-dev. Without them the
# tool is built without cgroup mode, and its cgroup commands say so.
option(TCPKEEP_WITH_CGROUP_MODE "Build cgroup mode when clang, bpftool and libbpf-dev are there" ON)
find_program(TCPKEEP_BPF_CLANG NAMES clang clang-14)
find_program(TCPKEEP_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf>=0.8)
endif()
if(TCPKEEP_WITH_CGROUP_MODE AND TCPKEEP_BPF_CLANG AND TCPKEEP_BPFTOOL AND LIBBPF_FOUND)
  set(TCPKEEP_CGROUP_MODE ON)
else()
  set(TCPKEEP_CGROUP_MODE OFF)
  message(STATUS "tcpkeep: cgroup mode left out (TCPKEEP_WITH_CGROUP_MODE=OFF, or clang, bpftool or libbpf-dev missing)")
endif()

# tcpkeep_bpf_object(NAME SOURCE): NAME.bpf.o from SOURCE in the binary directory, built by the
# target NAME_object.
function(tcpkeep_bpf_object name source)
  set(object ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  # -mcpu=v3: clang 14 uses atomic instructions with results only from v3 on.
  add_custom_command(OUTPUT ${object}
    COMMAND ${TCPKEEP_BPF_CLANG} -O2 -g -target bpf -mcpu=v3 -Wall -Werror
            -I${CMAKE_CURRENT_SOURCE_DIR} -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -c ${source} -o ${object}
    DEPENDS ${source} IMPLICIT_DEPENDS C ${source}
    COMMENT "BPF ${name}.bpf.o" VERBATIM)
  add_custom_target(${name}_object ALL DEPENDS ${object})
endfunction()

# tcpkeep_bpf_skeleton(NAME SOURCE): NAME.bpf.o from SOURCE and its skeleton NAME.skel.h in the
# binary directory; the target NAME_skeleton carries the include directory.
function(tcpkeep_bpf_skeleton name source)
  tcpkeep_bpf_object(${name} ${source})
  set(object ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skeleton ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(OUTPUT ${skeleton}
    COMMAND ${TCPKEEP_BPFTOOL} gen skeleton ${object} name ${name} > ${skeleton}
    DEPENDS ${object}
    COMMENT "BPF skeleton ${name}.skel.h" VERBATIM)
  add_custom_target(${name}_generate DEPENDS ${skeleton})
  add_library(${name}_skeleton INTERFACE)
  add_dependencies(${name}_skeleton ${name}_generate)
  target_include_directories(${name}_skeleton INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name}_skeleton INTERFACE PkgConfig::LIBBPF)
endfunction()
