// Receipt and seal verification, as `lgsp verify-receipt --receipt FILE` and `lgsp log verify` run it: the
// input is a receipt (or a proxied call record) with its seal under "signature". Any bytes give a record
// refused with the documented exception, or a seal check that says valid or why not; nothing else escapes.
#include "fuzz_target.hpp"
#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "signature_verifier.hpp"

#include <cstdlib>
#include <stdexcept>

namespace {

void check_seal(const lgsp::bus::Sha256& leaf, const nlohmann::json& seal) {
  static const auto trust = lgsp::fuzz::fuzz_trust_store();
  for (const auto* store : {&trust, static_cast<const lgsp::signing::TrustStore*>(nullptr)}) {
    const auto check = lgsp::bus::verify_seal(leaf, seal, store);
    if (check.valid == !check.reason.empty()) std::abort();  // invalid says why, valid says nothing else
    const auto root = lgsp::bus::verify_root_signature(seal, store);
    if (root.valid == !root.reason.empty()) std::abort();
    if (check.valid && !root.valid) std::abort();  // a seal whose root signature fails cannot be valid
  }
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  using nlohmann::json;
  const json record = json::parse(lgsp::fuzz::as_text(data, size), nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) return 0;
  if (record.is_object() && record.contains("call_id")) {
    lgsp::bus::CallSeal call;
    try {
      call = lgsp::bus::CallSeal::from_json(record);
    } catch (const json::exception&) {  // documented: names the missing or mistyped field
      return 0;
    }
    if (lgsp::bus::CallSeal::from_json(call.to_json()).leaf() != call.leaf()) std::abort();
    check_seal(call.leaf(), record.value("signature", json()));
    return 0;
  }
  lgsp::bus::Receipt receipt;
  try {
    receipt = lgsp::bus::Receipt::from_json(record);
  } catch (const std::invalid_argument&) {  // documented: names the missing or mistyped field
    return 0;
  }
  if (lgsp::bus::Receipt::from_json(receipt.to_json()).leaf() != receipt.leaf()) std::abort();
  check_seal(receipt.leaf(), receipt.signature);
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(seal_verify);
