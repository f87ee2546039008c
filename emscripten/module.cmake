# The WebAssembly module: emscripten/*.cpp + the core, linked with embind into an ES module.
# Link flags are kept as named lists (base / release / debug), as canvaskit does.
file(GLOB RT_WEB_SOURCES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/emscripten/*.cpp")
add_executable(realtime_wasm ${RT_WEB_SOURCES})
target_link_libraries(realtime_wasm PRIVATE realtime_core)
target_include_directories(realtime_wasm PRIVATE "${CMAKE_SOURCE_DIR}/emscripten")
set_target_properties(realtime_wasm PROPERTIES SUFFIX ".mjs")

set(RT_LIBRARY_JS "${CMAKE_SOURCE_DIR}/emscripten/library_realtime.js")
# embind's JS libraries, without `--bind`: `--bind` also links libembind whole-archive, whose
# only file (bind.cpp) registers every builtin type; emscripten/embind_builtin.cpp defines its two
# symbols instead, registering only the types the bindings use (docs/size.md).
set(RT_LINK_BASE
  "--js-library=${EMSCRIPTEN_ROOT_PATH}/src/embind/embind.js"
  "--js-library=${EMSCRIPTEN_ROOT_PATH}/src/embind/emval.js"
  "--js-library=${RT_LIBRARY_JS}"
  -sMODULARIZE=1
  -sEXPORT_ES6=1
  -sEXPORT_NAME=createRealtimeModule
  -sENVIRONMENT=web,worker
  -sALLOW_MEMORY_GROWTH=1
  -sDYNAMIC_EXECUTION=0      # no eval / new Function: loads under a strict CSP
  -sFILESYSTEM=0
  -sINCOMING_MODULE_JS_API=[wasmBinary,instantiateWasm,locateFile,rtHost,print,printErr]
  "-sEXPORTED_FUNCTIONS=[_malloc,_free]"  # embind marshals strings with them (--bind exported them)
  -sTEXTDECODER=2
  -sTOTAL_STACK=262144
  -fno-exceptions
  -fno-rtti)                 # links the RTTI-free libembind (CMakeLists.txt compiles with -fno-rtti)
# Size (docs/size.md): tests/js/consumer.test.mjs holds what the package adds to a Vite + React app
# (wasm + glue + JS, gzip) to a budget. -Oz, emmalloc, Closure and LTO keep it small; the
# per-frame hot paths (envelope scan, SSE parser) are compiled -O3 in CMakeLists.txt.
set(RT_LINK_RELEASE -Oz -flto -sMALLOC=emmalloc -sASSERTIONS=0)  # -flto: see CMakeLists.txt
# Closure (ADVANCED) minifies the glue. Debian's emcc has none of its own: the npm
# google-closure-compiler (devDependencies) is run through scripts/closure.sh, which emcc finds in
# EM_CLOSURE_COMPILER (set for the link command only). Without node_modules the glue is built
# unminified, as before, with a warning.
set(RT_CLOSURE "${CMAKE_SOURCE_DIR}/node_modules/.bin/google-closure-compiler")
if(EXISTS "${RT_CLOSURE}")
  list(APPEND RT_LINK_RELEASE --closure=1
    "--closure-args=--externs=${CMAKE_SOURCE_DIR}/emscripten/closure_externs.js")
  set(RT_LINK_LAUNCHER env "EM_CLOSURE_COMPILER=${CMAKE_SOURCE_DIR}/scripts/closure.sh")
else()
  message(WARNING "no ${RT_CLOSURE} (run npm ci): the glue is not minified by Closure")
  list(APPEND RT_LINK_RELEASE --closure=0)
endif()
set(RT_LINK_DEBUG -O0 -g -sASSERTIONS=2)
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(RT_LINK_FLAGS ${RT_LINK_BASE} ${RT_LINK_DEBUG})
else()
  set(RT_LINK_FLAGS ${RT_LINK_BASE} ${RT_LINK_RELEASE})
endif()
# Keeps wasm function names (for node --cpu-prof / browser profilers); off in the package.
option(RT_WASM_PROFILING "Keep function names in the .wasm (profiling builds)" OFF)
if(RT_WASM_PROFILING)
  list(APPEND RT_LINK_FLAGS --profiling-funcs)
endif()
target_link_options(realtime_wasm PRIVATE ${RT_LINK_FLAGS})
if(RT_LINK_LAUNCHER AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  set_target_properties(realtime_wasm PROPERTIES CXX_LINKER_LAUNCHER "${RT_LINK_LAUNCHER}")
endif()
set_property(TARGET realtime_wasm APPEND PROPERTY LINK_DEPENDS
  "${RT_LIBRARY_JS}" "${CMAKE_SOURCE_DIR}/emscripten/closure_externs.js")
