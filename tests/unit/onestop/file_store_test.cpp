#include "lgsp/onestop/file_store.hpp"
#include "lgsp/bus/digest.hpp"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace lgsp::onestop;

namespace {

std::string docx() {
  // The start of a real .docx: a ZIP whose first members are [Content_Types].xml and word/document.xml.
  return std::string("PK\x03\x04\x14\x00\x06\x00", 8) + "....[Content_Types].xml....PK\x03\x04....word/document.xml";
}

TEST(DocumentType, is_detected_from_the_content_for_every_accepted_kind) {
  EXPECT_EQ(detect_document_type("%PDF-1.7\n..."), "application/pdf");
  EXPECT_EQ(detect_document_type("\xFF\xD8\xFF\xE1 exif"), "image/jpeg");
  EXPECT_EQ(detect_document_type(std::string("II*\0....", 8)), "image/tiff");
  EXPECT_EQ(detect_document_type(std::string("MM\0*....", 8)), "image/tiff");
  EXPECT_EQ(detect_document_type("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 ole2"), "application/msword");
  EXPECT_EQ(detect_document_type(docx()), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
}

TEST(DocumentType, refuses_other_content) {
  EXPECT_FALSE(detect_document_type(""));
  EXPECT_FALSE(detect_document_type("MZ\x90 an executable"));
  EXPECT_FALSE(detect_document_type("\x89PNG\r\n\x1a\n"));  // PNG is not on the list
  EXPECT_FALSE(detect_document_type("PK\x03\x04 a zip that is not a Word document"));
  EXPECT_FALSE(detect_document_type("<html>"));
}

class Files : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("lgsp-files-" + std::to_string(::getpid()));
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(Files, are_stored_under_their_sha256_once) {
  FileStore store(dir);
  auto a = store.put_document("%PDF-1.4 same bytes", "application/pdf");
  auto b = store.put_document("%PDF-1.4 same bytes", "");
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.sha256, lgsp::bus::sha256_hex("%PDF-1.4 same bytes"));
  EXPECT_EQ(a.size, 19);
  EXPECT_EQ(store.get(a.sha256), "%PDF-1.4 same bytes");
  EXPECT_TRUE(fs::exists(store.path_of(a.sha256)));
  EXPECT_EQ(store.path_of(a.sha256).parent_path().filename(), a.sha256.substr(0, 2));
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

TEST_F(Files, refuse_content_that_is_not_what_it_claims_and_never_read_outside_the_store) {
  FileStore store(dir);
  EXPECT_THROW(store.put_document("%PDF-1.4", "image/jpeg"), FileRefused);
  EXPECT_THROW(store.put_document("", "application/pdf"), FileRefused);
  EXPECT_NO_THROW(store.put_document("%PDF-1.4", "application/pdf; charset=binary"));
  EXPECT_NO_THROW(store.put_document("%PDF-1.4", "application/octet-stream"));
  EXPECT_FALSE(store.get("../../etc/passwd"));
  EXPECT_FALSE(store.get(std::string(64, 'A')));  // upper-case hex is not a name this store writes
  EXPECT_FALSE(store.get(std::string(64, 'a')));  // well-formed, absent
}

}  // namespace
