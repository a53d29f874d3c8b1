# cuda.cmake - WEFT_CUDA=AUTO|ON|OFF: the CUDA kernels and runtime calls of
# src/cuda.  Included from the top-level CMakeLists.txt before the library
# is defined; sets WEFT_CUDA_ENABLED and provides the two functions below.
#
# nvcc is looked for where a toolkit usually lives even when it is not on
# PATH (CUDACXX, CMAKE_CUDA_COMPILER, CUDAToolkit_ROOT, CUDA_HOME,
# CUDA_PATH, /usr/local/cuda/bin).  AUTO builds CUDA when nvcc and the
# static runtime are there and says what it found; ON makes their absence a
# fatal error; OFF builds without.  Sanitizer and fuzz builds (nvcc and
# -fsanitize do not mix) turn AUTO into OFF.
#
# The runtime is linked statically (libcudart_static.a, as NCCL does), so
# libweft needs a driver at run time but no toolkit; without a driver or a
# GPU it still serves host buffers (src/cuda/probe.c says so once at INFO).

# Adds the .cu files of src/cuda to the library's sources (list variable
# `var`), or, without CUDA, drops src/cuda/device/: the code there calls the
# CUDA runtime and has no meaning without it.
function(weft_cuda_sources var)
  set(srcs ${${var}})
  if(WEFT_CUDA_ENABLED)
    file(GLOB_RECURSE cu CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/cuda/*.cu)
    list(APPEND srcs ${cu})
  else()
    list(FILTER srcs EXCLUDE REGEX "/src/cuda/device/")
  endif()
  set(${var} ${srcs} PARENT_SCOPE)
endfunction()

# Compile flags, WEFT_HAVE_CUDA and the static runtime for the library's
# targets.  The runtime's symbols stay inside libweft.so
# (--exclude-libs): an application that links its own libcudart must not
# have its cuda* calls bound to ours.
function(weft_cuda_link obj shared static internal)
  if(NOT WEFT_CUDA_ENABLED)
    return()
  endif()
  target_compile_options(${obj} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:${WEFT_CUDA_FLAGS}>)
  target_compile_definitions(${obj} PRIVATE WEFT_HAVE_CUDA=1)
  target_include_directories(${obj} PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
  foreach(t ${shared} ${static})
    target_link_libraries(${t} PRIVATE ${CUDA_cudart_static_LIBRARY})
  endforeach()
  target_link_options(${shared} PRIVATE "LINKER:--exclude-libs,libcudart_static.a")
  target_link_libraries(${internal} INTERFACE CUDA::cudart_static)
  target_compile_definitions(${internal} INTERFACE WEFT_HAVE_CUDA=1)
endfunction()

set(WEFT_CUDA AUTO CACHE STRING "CUDA kernels and device buffers (AUTO|ON|OFF)")
string(TOUPPER "${WEFT_CUDA}" _weft_cuda_mode)
if(_weft_cuda_mode MATCHES "^(ON|YES|TRUE|1)$")
  set(_weft_cuda_mode ON)
elseif(_weft_cuda_mode MATCHES "^(OFF|NO|FALSE|0)$")
  set(_weft_cuda_mode OFF)
elseif(NOT _weft_cuda_mode STREQUAL "AUTO")
  message(FATAL_ERROR "WEFT_CUDA=${WEFT_CUDA}: expected AUTO, ON or OFF")
endif()
if(_weft_cuda_mode STREQUAL "AUTO" AND (WEFT_SANITIZE OR WEFT_FUZZ))
  message(STATUS "weft: WEFT_CUDA=AUTO: off in a sanitizer or fuzz build")
  set(_weft_cuda_mode OFF)
endif()

# Real code for A100 (sm_80), H100/H200 (sm_90), B200/GB200 (sm_100) and
# consumer/workstation Blackwell (sm_120), plus compute_120 PTX that the
# driver compiles for GPUs newer than this toolkit.  Kept short: every
# entry is one more device compilation of every .cu file.
set(WEFT_CUDA_DEFAULT_ARCHITECTURES "80-real;90-real;100-real;120")

set(WEFT_CUDA_ENABLED OFF)
set(WEFT_PC_CUDA "") # weft.pc's Libs.private
if(_weft_cuda_mode STREQUAL "OFF")
  message(STATUS "weft: WEFT_CUDA=OFF: built without CUDA (host buffers only)")
  return()
endif()

# Fails with a message naming what is missing (ON), or says why CUDA is
# skipped (AUTO) and returns from this file.
macro(_weft_cuda_missing what)
  if(_weft_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "weft: WEFT_CUDA=ON but ${what} "
                        "(install the CUDA toolkit, set CUDAToolkit_ROOT or CUDACXX, "
                        "or configure with -DWEFT_CUDA=AUTO or OFF)")
  endif()
  message(STATUS "weft: WEFT_CUDA=AUTO: ${what}; built without CUDA")
  return()
endmacro()

if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  find_program(WEFT_NVCC nvcc
    HINTS ${CUDAToolkit_ROOT} ENV CUDAToolkit_ROOT ENV CUDA_HOME ENV CUDA_PATH
    PATHS /usr/local/cuda
    PATH_SUFFIXES bin)
  if(NOT WEFT_NVCC)
    _weft_cuda_missing("nvcc was not found (PATH, CUDAToolkit_ROOT, CUDA_HOME, /usr/local/cuda/bin)")
  endif()
  set(CMAKE_CUDA_COMPILER ${WEFT_NVCC} CACHE FILEPATH "CUDA compiler" FORCE)
endif()
if(IS_ABSOLUTE "${CMAKE_CUDA_COMPILER}" AND NOT EXISTS "${CMAKE_CUDA_COMPILER}")
  _weft_cuda_missing("the CUDA compiler ${CMAKE_CUDA_COMPILER} does not exist")
endif()
if(NOT CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES ${WEFT_CUDA_DEFAULT_ARCHITECTURES})
endif()
enable_language(CUDA)
find_package(CUDAToolkit)
if(NOT CUDAToolkit_FOUND OR NOT TARGET CUDA::cudart_static)
  _weft_cuda_missing("the CUDA toolkit's static runtime (libcudart_static.a) was not found")
endif()

set(WEFT_CUDA_ENABLED ON)
set(WEFT_PC_CUDA "${CUDA_cudart_static_LIBRARY}")
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
set(CMAKE_CUDA_VISIBILITY_PRESET hidden)
# Linked by hand below (weft_cuda_link): CMake's automatic runtime would be
# an imported target in the exported package.
set(CMAKE_CUDA_RUNTIME_LIBRARY None)
message(STATUS "weft: WEFT_CUDA=${WEFT_CUDA}: nvcc ${CMAKE_CUDA_COMPILER_VERSION} "
               "(${CMAKE_CUDA_COMPILER}), architectures ${CMAKE_CUDA_ARCHITECTURES}, "
               "runtime ${CUDA_cudart_static_LIBRARY} (static)")

# Warnings for device code: the host compiler's, and nvcc's own.  The
# top-level -Wall/-Werror apply to C and C++ only; nvcc spells them itself.
# ptxas warns of register spills and local memory: the kernels are sized
# to need neither (src/cuda/reduce_plan.h).
set(WEFT_CUDA_FLAGS -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter
                    -Xptxas=-warn-spills,-warn-lmem-usage)
if(WEFT_WERROR)
  list(APPEND WEFT_CUDA_FLAGS -Xcompiler=-Werror "SHELL:-Werror all-warnings")
endif()

