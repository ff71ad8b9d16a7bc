// Signed file links: the key file (created once, mode 600, refused when others may read it), and each way a
// link can be wrong.
#include "lgsp/onestop/file_links.hpp"

#include "lgsp/bus/config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace fs = std::filesystem;
using lgsp::onestop::FileLinks;
using Check = FileLinks::Check;

namespace {

const std::string kSha(64, 'a');
const std::string kOtherSha(64, 'b');

struct Link {
  std::string sha, expires, sig;
};
Link parts(const std::string& url) {
  auto at = url.find("/onestop/v1/public/files/") + 25;
  auto q = url.find('?');
  auto amp = url.find("&sig=");
  return {url.substr(at, q - at), url.substr(q + 9, amp - q - 9), url.substr(amp + 5)};
}

class FileLinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-file-links-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

}  // namespace

TEST_F(FileLinksTest, the_key_is_made_once_private_to_the_office_and_kept) {
  auto key = dir_ / "file-link.key";
  auto first = FileLinks::open(key);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto now = std::chrono::system_clock::now();
  auto url = first.url("http://x", kSha, now + std::chrono::hours(1));
  auto p = parts(url);
  EXPECT_EQ(FileLinks::open(key).check(p.sha, p.expires, p.sig, now), Check::kValid) << "the same key on reopening";
  fs::permissions(key, fs::perms(0644));
  EXPECT_THROW(FileLinks::open(key), lgsp::bus::ConfigError) << "a key others may read is refused";
  fs::permissions(key, fs::perms(0600));
  std::ofstream(key) << "not hex\n";
  EXPECT_THROW(FileLinks::open(key), lgsp::bus::ConfigError);
}

TEST_F(FileLinksTest, a_link_is_valid_for_its_file_until_it_expires) {
  FileLinks links(std::string(64, '7'));
  auto now = std::chrono::system_clock::now();
  auto url = links.url("https://motcua.example.vn", kSha, now + std::chrono::hours(24));
  EXPECT_EQ(url.rfind("https://motcua.example.vn/onestop/v1/public/files/" + kSha + "?expires=", 0), 0u) << url;
  auto p = parts(url);
  EXPECT_EQ(links.check(p.sha, p.expires, p.sig, now), Check::kValid);
  EXPECT_EQ(links.check(p.sha, p.expires, p.sig, now + std::chrono::hours(25)), Check::kExpired);
  EXPECT_EQ(links.check(kOtherSha, p.expires, p.sig, now), Check::kBadSignature) << "another file";
  EXPECT_EQ(links.check(p.sha, p.expires + "0", p.sig, now), Check::kBadSignature) << "a later expiry";
  std::string flipped = p.sig;
  flipped[10] = flipped[10] == 'f' ? 'e' : 'f';
  EXPECT_EQ(links.check(p.sha, p.expires, flipped, now), Check::kBadSignature);
  EXPECT_EQ(FileLinks(std::string(64, '8')).check(p.sha, p.expires, p.sig, now), Check::kBadSignature)
      << "another office's key";
  EXPECT_EQ(links.check(p.sha, "", p.sig, now), Check::kMalformed);
  EXPECT_EQ(links.check(p.sha, "-5", p.sig, now), Check::kMalformed);
  EXPECT_EQ(links.check(p.sha, p.expires, p.sig.substr(1), now), Check::kMalformed);
  EXPECT_EQ(links.check("../etc/passwd", p.expires, p.sig, now), Check::kMalformed);
  EXPECT_EQ(links.check(p.sha, "99999999999999999999", p.sig, now), Check::kMalformed);
}
