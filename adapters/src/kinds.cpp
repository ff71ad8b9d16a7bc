// The adapter kinds the lgsp program knows. Each kind's block is already here, switched on by CMake when the
// kind's library exists (LGSP_ADAPTER_KIND_<KIND>, see adapters/CMakeLists.txt), so that the kinds' branches
// merge without touching this file. A new kind: one #if block for its header and one for its line, in
// alphabetical order, and its name in the foreach of adapters/CMakeLists.txt.
#include "lgsp/adapters/adapter.hpp"

#ifdef LGSP_ADAPTER_KIND_DB_OUTBOX
#include "db_outbox/db_outbox_adapter.hpp"
#endif
#ifdef LGSP_ADAPTER_KIND_FILEDROP
#include "filedrop/filedrop_adapter.hpp"
#endif
#ifdef LGSP_ADAPTER_KIND_REST
#include "rest/rest_adapter.hpp"
#endif
#ifdef LGSP_ADAPTER_KIND_SOAP
#include "soap/soap_adapter.hpp"
#endif
#ifdef LGSP_ADAPTER_KIND_VXP
#include "vxp/vxp_adapter.hpp"
#endif

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

namespace lgsp::adapters {

namespace {

const std::vector<std::pair<std::string, AdapterFactory>>& builtin_kinds() {
  static const std::vector<std::pair<std::string, AdapterFactory>> kinds = {
#ifdef LGSP_ADAPTER_KIND_DB_OUTBOX
      {"db-outbox", make_db_outbox_adapter},
#endif
#ifdef LGSP_ADAPTER_KIND_FILEDROP
      {"filedrop", make_filedrop_adapter},
#endif
#ifdef LGSP_ADAPTER_KIND_REST
      {"rest", make_rest_adapter},
#endif
#ifdef LGSP_ADAPTER_KIND_SOAP
      {"soap", make_soap_adapter},
#endif
#ifdef LGSP_ADAPTER_KIND_VXP
      {"vxp", make_vxp_adapter},
#endif
  };
  return kinds;
}

// Kinds a test program adds (register_adapter_kind_for_tests); empty in the lgsp program.
struct TestKinds {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<AdapterFactory>, std::less<>> kinds;
};
TestKinds& test_kinds() {
  static TestKinds t;
  return t;
}

}  // namespace

const AdapterFactory* find_adapter_kind(std::string_view kind) {
  for (const auto& [name, factory] : builtin_kinds())
    if (name == kind) return &factory;
  auto& t = test_kinds();
  std::lock_guard lock(t.mutex);
  auto it = t.kinds.find(kind);
  return it == t.kinds.end() ? nullptr : it->second.get();
}

std::vector<std::string> adapter_kinds() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : builtin_kinds()) out.push_back(name);
  auto& t = test_kinds();
  std::lock_guard lock(t.mutex);
  for (const auto& [name, factory] : t.kinds)
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

void register_adapter_kind_for_tests(std::string kind, AdapterFactory factory) {
  auto& t = test_kinds();
  std::lock_guard lock(t.mutex);
  t.kinds[std::move(kind)] = std::make_unique<AdapterFactory>(std::move(factory));
}

}  // namespace lgsp::adapters
