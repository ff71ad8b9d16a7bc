// The token flags pkcs11-helper does not expose (the user PIN's tries state), read with C_GetTokenInfo from
// the module the process already loaded and initialised through signing::TokenModule.
#include "lgsp/agent/token_directory.hpp"

#include <pkcs11-helper-1.0/pkcs11h-core.h>

#include <dlfcn.h>

#include <memory>
#include <string_view>
#include <vector>

namespace lgsp::agent {
namespace {

struct Library {
  void* handle = nullptr;
  ~Library() {
    if (handle) ::dlclose(handle);
  }
};

// CK_TOKEN_INFO labels are 32 bytes padded with spaces; pkcs11-helper gives them trimmed.
std::string trimmed_label(const CK_TOKEN_INFO& info) {
  std::string_view label(reinterpret_cast<const char*>(info.label), sizeof info.label);
  while (!label.empty() && (label.back() == ' ' || label.back() == '\0')) label.remove_suffix(1);
  return std::string(label);
}

// Calls `found` with the info of each present token; false when the module is not loaded or does not answer.
template <class F>
bool each_token(const std::filesystem::path& module, F found) {
  // RTLD_NOLOAD: the module pkcs11-helper loaded (and C_Initialize'd) is the one to ask; never a second copy.
  Library library{::dlopen(module.c_str(), RTLD_NOW | RTLD_NOLOAD)};
  if (!library.handle) return false;
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(library.handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR functions = nullptr;
  if (!get_list || get_list(&functions) != CKR_OK || !functions) return false;
  CK_ULONG count = 0;
  if (functions->C_GetSlotList(CK_TRUE, nullptr, &count) != CKR_OK) return false;
  std::vector<CK_SLOT_ID> slots(count + 1);
  if (functions->C_GetSlotList(CK_TRUE, slots.data(), &count) != CKR_OK) return false;
  slots.resize(count);
  for (auto slot : slots) {
    CK_TOKEN_INFO info{};
    if (functions->C_GetTokenInfo(slot, &info) == CKR_OK) found(info);
  }
  return true;
}

}  // namespace

const char* to_string(PinTries tries) {
  switch (tries) {
    case PinTries::kOk:
      return "ok";
    case PinTries::kCountLow:
      return "count_low";
    case PinTries::kFinalTry:
      return "final_try";
    case PinTries::kLocked:
      return "locked";
    case PinTries::kUnknown:
      break;
  }
  return "unknown";
}

PinTries pin_tries(const std::filesystem::path& module, const std::string& label) {
  PinTries state = PinTries::kUnknown;
  each_token(module, [&](const CK_TOKEN_INFO& info) {
    if (trimmed_label(info) != label || state != PinTries::kUnknown) return;
    if (info.flags & CKF_USER_PIN_LOCKED)
      state = PinTries::kLocked;
    else if (info.flags & CKF_USER_PIN_FINAL_TRY)
      state = PinTries::kFinalTry;
    else if (info.flags & CKF_USER_PIN_COUNT_LOW)
      state = PinTries::kCountLow;
    else
      state = PinTries::kOk;
  });
  return state;
}

bool token_present(const std::filesystem::path& module, const std::string& label) {
  bool present = false;
  each_token(module, [&](const CK_TOKEN_INFO& info) { present = present || trimmed_label(info) == label; });
  return present;
}

}  // namespace lgsp::agent
