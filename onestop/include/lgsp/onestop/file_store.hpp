// Files of dossiers (submitted documents, results, forms) in a content-addressed folder: each file is named by
// its SHA-256, so the same paper uploaded twice is stored once and a name can never point at other bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lgsp::onestop {

// A document the one-stop office does not accept (type not allowed, content not matching its declared type).
class FileRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoredFile {
  std::string sha256;  // lower-case hex
  std::string media_type;
  std::int64_t size = 0;
};

// The types an applicant may submit: PDF, Word (.doc, .docx), TIFF, JPEG. Detected from the content itself;
// nullopt for anything else.
std::optional<std::string> detect_document_type(std::string_view bytes);

class FileStore {
 public:
  explicit FileStore(std::filesystem::path dir);

  // An applicant's document: the content must be one of the accepted types, and agree with `declared_type`
  // when one is given (an "image/jpeg" that is really a ZIP is refused). Throws FileRefused saying why.
  StoredFile put_document(std::string_view bytes, const std::string& declared_type);
  // A file the office makes itself (forms, results, signatures): stored under any media type.
  StoredFile put(std::string_view bytes, const std::string& media_type);
  std::optional<std::string> get(const std::string& sha256) const;
  std::filesystem::path path_of(const std::string& sha256) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace lgsp::onestop
