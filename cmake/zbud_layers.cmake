# The build's two rules, as functions:
#
#  zbud_layer(NAME SOURCES ... [FAULT_SOURCES ...] [DEPENDS LAYER...])
#    One folder of libzbud (src/NAME): an OBJECT library zbud_NAME that sees
#    include/, its own folder and the folders of the layers it DEPENDS on,
#    and nothing else, so that an include of a higher layer fails to build.
#    Each layer is built twice: plain, for libzbud, and with fault injection
#    (zbud_NAME_fault, ZBUD_FAULT_INJECTION) for the tests' libzbud_fault.
#
#  zbud_engine(NAME SOURCES ... [DEPENDS ENGINE-LIB...] [LIBS ...])
#    One folder of the engine (engine/NAME): a static library zbud_engine_NAME
#    that sees include/ (libzbud's public headers) and its own folder, and
#    the engine folders it DEPENDS on.
#
#  zbud_test(NAME [FAULT] [LAYER layer] [TIMEOUT s] [LIBS ...] [ARGS ...])
#    test_NAME.c in the calling folder as a ctest.  LAYER: a white-box test
#    that also sees that layer's internal headers; it must then live in the
#    layer's own folder under src/.  FAULT: linked with libzbud_fault.

set_property(GLOBAL PROPERTY ZBUD_LAYERS "")
set_property(GLOBAL PROPERTY ZBUD_LIB_SOURCES "")
set_property(GLOBAL PROPERTY ZBUD_ENGINE_SOURCES "")

function(zbud_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;FAULT_SOURCES;DEPENDS" ${ARGN})
  foreach(variant "" "_fault")
    set(t zbud_${name}${variant})
    if(variant)
      add_library(${t} OBJECT ${L_SOURCES} ${L_FAULT_SOURCES})
      target_compile_definitions(${t} PUBLIC ZBUD_FAULT_INJECTION)
    else()
      add_library(${t} OBJECT ${L_SOURCES})
    endif()
    target_include_directories(${t} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
    foreach(dep ${L_DEPENDS})
      target_link_libraries(${t} PUBLIC zbud_${dep}${variant})
    endforeach()
    target_link_libraries(${t} PRIVATE PkgConfig::COMPRESSORS)
    set_target_properties(${t} PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
  endforeach()
  set_property(GLOBAL APPEND PROPERTY ZBUD_LAYERS ${name})
  list(TRANSFORM L_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  set_property(GLOBAL APPEND PROPERTY ZBUD_LIB_SOURCES ${L_SOURCES})
endfunction()

function(zbud_engine name)
  cmake_parse_arguments(E "" "" "SOURCES;DEPENDS;LIBS" ${ARGN})
  set(t zbud_engine_${name})
  add_library(${t} STATIC ${E_SOURCES})
  target_include_directories(${t} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${t} PUBLIC zbud_static ${E_DEPENDS} ${E_LIBS})
  list(TRANSFORM E_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  set_property(GLOBAL APPEND PROPERTY ZBUD_ENGINE_SOURCES ${E_SOURCES})
endfunction()

function(zbud_test name)
  if(NOT ZBUD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "FAULT" "TIMEOUT;LAYER" "LIBS;ARGS" ${ARGN})
  add_executable(test_${name} test_${name}.c)
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(test_${name} PRIVATE ZBUD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(T_LAYER)
    target_include_directories(test_${name} PRIVATE
      $<TARGET_PROPERTY:zbud_${T_LAYER},INTERFACE_INCLUDE_DIRECTORIES>)
  endif()
  if(T_FAULT)
    target_link_libraries(test_${name} PRIVATE zbud_fault)
  else()
    target_link_libraries(test_${name} PRIVATE zbud_static)
  endif()
  target_link_libraries(test_${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA Threads::Threads)
  add_test(NAME ${name} COMMAND test_${name} ${T_ARGS})
  if(T_TIMEOUT)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT})
  endif()
endfunction()
