# Project version plus `git describe` (when the source is a git checkout), written into
# ha_version.hpp at build time so a new commit changes the version without a reconfigure.
add_custom_target(ha_version_header
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR} -DOUT=${CMAKE_BINARY_DIR}/generated/ha_version.hpp
          -DVERSION=${PROJECT_VERSION} -P ${CMAKE_SOURCE_DIR}/cmake/WriteVersion.cmake
  BYPRODUCTS ${CMAKE_BINARY_DIR}/generated/ha_version.hpp
  COMMENT "Writing ha_version.hpp")
add_library(ha_version INTERFACE)
add_dependencies(ha_version ha_version_header)
target_include_directories(ha_version INTERFACE ${CMAKE_BINARY_DIR}/generated)
