// Deliveries the node pushes to the adapter, written into the outbound folder for the legacy system to pick
// up: each file appears whole or not at all (temporary name, fsync, rename, fsync of the folder), named by
// its message id, with the node's receipt and seal beside it as NAME.receipt.json. The same delivery pushed
// again (the node delivers at least once) is recognised and not written twice.
#pragma once

#include "lgsp/adapters/delivery.hpp"

#include <filesystem>
#include <string>

namespace lgsp::adapters::filedrop {

class OutboundWriter {
 public:
  explicit OutboundWriter(std::filesystem::path dir);

  enum class Result { written, repeated };
  // `seal_header`: the LGSP-Signature header as received (already checked by the DeliveryVerifier).
  // Throws FileError (no_space() when the disk is full: answer 503 so the node tries again).
  Result write(const Delivery& delivery, const std::string& seal_header);

  // The file name's stem for a message id: the id itself when made of A-Z a-z 0-9 - _ . and not starting
  // with a dot; otherwise those characters kept, the rest as '_', and "~" + 12 hex digits of the id's
  // SHA-256 added, so that two ids never share a name.
  static std::string stem_for(const std::string& message_id);
  // ".json", ".xml", ".csv", ".txt" or ".bin" from a media type.
  static std::string extension_for(const std::string& content_type);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace lgsp::adapters::filedrop
