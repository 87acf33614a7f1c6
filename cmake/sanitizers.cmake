# scripts/test --sanitize=address,undefined configures TCPKEEP_SANITIZE; everything built here uses it.
if(TCPKEEP_SANITIZE)
  add_compile_options(-fsanitize=${TCPKEEP_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${TCPKEEP_SANITIZE})
endif()
