# Every dependency is a Debian 12 package (see deploy/install-deps.sh); found here once.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED CONFIG COMPONENTS headers)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(prometheus-cpp REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
# libpq (libpq-dev): the node's PostgreSQL store (bus/src/store/pg_store.cpp, [store] backend = "postgresql"), and
# the db-outbox adapter reads and writes a legacy system's PostgreSQL tables.
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
# The one-stop office's web sign-in (Argon2id password hashes) and notifications (SMTP and the SMS gateway).
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl)

# tcmalloc (gperftools' minimal build, Debian libtcmalloc-minimal4): the node allocates per request
# from several threads (HTTP I/O, signer, store writer) and glibc malloc's arenas cost it ~8-15 % of
# its throughput (docs/benchmarks.md). Only the runtime package is needed: it is linked by file name.
# Not with the sanitizers (LGSP_SANITIZE, LGSP_FUZZ), which bring their own allocator.
add_library(lgsp_allocator INTERFACE)
if(LGSP_TCMALLOC AND NOT LGSP_SANITIZE AND NOT LGSP_FUZZ)
  find_library(LGSP_TCMALLOC_LIBRARY NAMES tcmalloc_minimal libtcmalloc_minimal.so.4 REQUIRED)
  target_link_libraries(lgsp_allocator INTERFACE ${LGSP_TCMALLOC_LIBRARY})
endif()
