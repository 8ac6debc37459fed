# All dependencies come from Debian 12 packages (packaging/install-deps.sh).
find_package(Threads REQUIRED)
find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(cppzmq REQUIRED)
find_package(msgpack REQUIRED CONFIG PATHS /usr/lib/x86_64-linux-gnu/cmake/msgpackc-cxx)  # target msgpackc-cxx
find_package(PkgConfig REQUIRED)
# Debian installs both HDF5 flavours; the agent and readers use the serial one.
pkg_check_modules(HDF5_SERIAL REQUIRED IMPORTED_TARGET hdf5-serial)
pkg_check_modules(ZMQ REQUIRED libzmq)

# CUDA is optional at build time: no nvcc means a CPU-only build.
set(ORRERY_CUDA_SUMMARY "off (ORRERY_WITH_CUDA=OFF)")
set(ORRERY_HAVE_CUDA OFF)
if(ORRERY_WITH_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    set(ORRERY_HAVE_CUDA ON)
    set(ORRERY_CUDA_SUMMARY "on (${CMAKE_CUDA_COMPILER}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    set(ORRERY_CUDA_SUMMARY "off (no nvcc found; CPU-only build)")
  endif()
endif()

# Qt starts in panels/ and app/ (the workbench); core/ and plugins' workers never link it.
find_package(Qt6 6.4 REQUIRED COMPONENTS Core Gui Widgets Charts Svg OpenGLWidgets Concurrent Test)
