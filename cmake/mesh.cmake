# Helpers that give every target the same flags and the shared precompiled
# header, so that the heavy gRPC / protobuf / RocksDB headers are parsed once.

add_library(mesh_pch STATIC ${CMAKE_SOURCE_DIR}/cmake/pch.cc)
target_link_libraries(mesh_pch PUBLIC gRPC::grpc++ protobuf::libprotobuf absl::status absl::statusor absl::time RocksDB::rocksdb-shared)
target_precompile_headers(mesh_pch PRIVATE ${CMAKE_SOURCE_DIR}/cmake/pch.h)

function(mesh_use_pch target)
  target_precompile_headers(${target} REUSE_FROM mesh_pch)
endfunction()

# mesh_cc_library(NAME SRCS ... DEPS ...)
function(mesh_cc_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gen)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  mesh_use_pch(${name})
endfunction()

# mesh_cc_binary(NAME SRCS ... DEPS ...)
function(mesh_cc_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gen)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  mesh_use_pch(${name})
endfunction()

# mesh_cc_test(NAME SRCS ... DEPS ... [LABELS ...])
# Unit tests carry the label "unit"; tests that start real processes carry "e2e".
function(mesh_cc_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gen)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  mesh_use_pch(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
    PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "MESH_BUILD_DIR=${CMAKE_BINARY_DIR}"
    DISCOVERY_TIMEOUT 30)
endfunction()
