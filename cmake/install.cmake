# `cmake --install`: the runtime libraries (shared with a SOVERSION, and static), the public
# headers, a CMake package (find_package(pocketrec) -> pocketrec::runtime, pocketrec::runtime_static)
# and a pkg-config file (pocketrec_runtime.pc). Included by CMakeLists.txt after the runtime targets.
include(CMakePackageConfigHelpers)
install(TARGETS pocketrec_runtime pocketrec_runtime_shared EXPORT pocketrecTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/pocketrec/pocketrec.h include/pocketrec/recommender.hpp
  include/pocketrec/error.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pocketrec)
set(POCKETREC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pocketrec)
install(EXPORT pocketrecTargets NAMESPACE pocketrec:: DESTINATION ${POCKETREC_CMAKE_DIR})
configure_package_config_file(cmake/pocketrecConfig.cmake.in
  ${CMAKE_BINARY_DIR}/pocketrecConfig.cmake INSTALL_DESTINATION ${POCKETREC_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/pocketrecConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/pocketrecConfig.cmake ${CMAKE_BINARY_DIR}/pocketrecConfigVersion.cmake
  DESTINATION ${POCKETREC_CMAKE_DIR})
configure_file(cmake/pocketrec_runtime.pc.in ${CMAKE_BINARY_DIR}/pocketrec_runtime.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/pocketrec_runtime.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
