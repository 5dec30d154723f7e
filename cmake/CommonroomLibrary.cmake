# commonroom_library(<target> [PUBLIC deps...] [PRIVATE deps...] [EXCLUDE files...])
# One static library per top-level folder: its sources are the folder's .cpp files (globbed,
# so adding a feature file needs no CMake edit); its dependencies are always listed by hand,
# which is how the folder rules of docs/architecture.md are enforced.
function(commonroom_library target)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE;EXCLUDE" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(ex ${ARG_EXCLUDE})
    list(REMOVE_ITEM srcs ${CMAKE_CURRENT_SOURCE_DIR}/${ex})
  endforeach()
  if(srcs)
    add_library(${target} STATIC ${srcs})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE} commonroom_warnings)
  else()
    # A folder with headers only (or none yet) still provides its target and include path.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC})
  endif()
endfunction()
