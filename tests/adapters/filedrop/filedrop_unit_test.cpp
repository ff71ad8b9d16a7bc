// The file-drop adapter's parts on their own: CSV to JSON by a column mapping, the read locks, the inotify
// watch, the file operations crash safety rests on, and the outbound writer (real files, a real tmpfs for a
// full disk).
#include "csv_mapping.hpp"
#include "drop_files.hpp"
#include "filedrop_config.hpp"
#include "inbox_watch.hpp"
#include "lgsp/bus/digest.hpp"
#include "outbound_writer.hpp"
#include "read_lock.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::adapters;
using namespace lgsp::adapters::filedrop;
using namespace std::chrono_literals;

namespace {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("lgsp-filedrop-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

CsvMapping progress_mapping() {
  CsvMapping m;
  m.columns = {{"ma_ho_so", 0, "MaHoSo", FieldType::string, true},
               {"so_buoc", 0, "SoBuoc", FieldType::integer, true},
               {"phi", 0, "Phi", FieldType::number, false},
               {"da_xong", 0, "DaXong", FieldType::boolean, true}};
  return m;
}

std::string csv_error(std::string_view text, const CsvMapping& m) {
  try {
    csv_to_json(text, m);
  } catch (const CsvError& e) {
    return e.what();
  }
  return "(converted)";
}

// --- config ------------------------------------------------------------------------------------------

FiledropConfig config_of(const std::string& keys) {
  auto table = ConfigTable::parse_text("name = \"tiendo\"\ninbox = \"in\"\nservice = \"A/B/c/v1\"\n" + keys, "/srv",
                                       "adapter 'tiendo'");
  table.set_where("adapter 'tiendo'");
  auto config = read_filedrop_config(table);
  table.finish();
  return config;
}

std::string config_error(const std::string& keys) {
  try {
    config_of(keys);
  } catch (const AdapterConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Config, defaults_and_a_csv_mapping) {
  const auto c = config_of(R"(format = "csv"
read_lock = "done-file"
[csv]
delimiter = "\t"
wrap_field = "data"
constants = { service = "X" }
[[csv.columns]]
index = 2
field = "b"
type = "integer"
required = false
[[csv.columns]]
column = "a"
field = "a"
)");
  EXPECT_EQ(c.inbox, fs::path("/srv/in"));
  EXPECT_EQ(c.done_dir, fs::path("/srv/in/done"));
  EXPECT_EQ(c.failed_dir, fs::path("/srv/in/failed"));
  EXPECT_EQ(c.content_type, "application/json");
  EXPECT_EQ(c.read_lock.mode, ReadLock::done_file);
  EXPECT_EQ(c.read_lock.ignore, (std::vector<std::string>{".*", "*.tmp", "*.part"}));
  EXPECT_EQ(c.max_file_bytes, 100u << 20);
  EXPECT_EQ(c.csv.delimiter, '\t');
  ASSERT_EQ(c.csv.columns.size(), 2u);
  EXPECT_EQ(c.csv.columns[0].index, 2u);
  EXPECT_EQ(c.csv.columns[0].type, FieldType::integer);
  EXPECT_FALSE(c.csv.columns[0].required);
  EXPECT_EQ(c.csv.columns[1].header, "a");
  EXPECT_EQ(config_of("format = \"xml\"").content_type, "application/xml");
}

TEST(Config, refuses_what_cannot_work_naming_the_key) {
  EXPECT_EQ(config_error("read_lock = \"marker\""),
            "adapter 'tiendo'.read_lock: must be one of done-file, rename, changed, got 'marker'");
  EXPECT_NE(config_error("format = \"csv\"").find("adapter 'tiendo'.csv"), std::string::npos);
  EXPECT_NE(config_error("[csv]\n[[csv.columns]]\ncolumn = \"a\"\nfield = \"a\"").find("only with format"),
            std::string::npos);
  EXPECT_NE(config_error("format = \"csv\"\n[csv]\n[[csv.columns]]\ncolumn = \"a\"\nindex = 1\nfield = \"a\"")
                .find("either column"),
            std::string::npos);
  EXPECT_NE(config_error("format = \"csv\"\n[csv]\nheader = false\n[[csv.columns]]\ncolumn = \"a\"\nfield = \"a\"")
                .find("needs header = true"),
            std::string::npos);
  EXPECT_NE(config_error("format = \"csv\"\n[csv]\n[[csv.columns]]\nindex = 1\nfield = \"a\"\ntype = \"date\"")
                .find("string, integer, number, boolean"),
            std::string::npos);
  EXPECT_NE(config_error("format = \"csv\"\n[csv]\ndelimiter = \";;\"\n[[csv.columns]]\nindex = 1\nfield = \"a\"")
                .find("delimiter"),
            std::string::npos);
  EXPECT_NE(config_error("done_dir = \"in\"").find("must not be the inbox"), std::string::npos);
  EXPECT_NE(config_error("outbound_dir = \"in\"").find("outbound_dir"), std::string::npos);
  EXPECT_NE(config_error("done_suffix = \"\"").find("done_suffix"), std::string::npos);
  EXPECT_NE(config_error("parallel = 0").find("parallel"), std::string::npos);
  EXPECT_NE(config_error("inbox_dir = \"x\"").find("inbox_dir"), std::string::npos);  // a misspelt key
}

// --- CSV ---------------------------------------------------------------------------------------------

TEST(Csv, converts_rows_by_header_names_with_types) {
  const std::string text =
      "\xEF\xBB\xBFma_ho_so,ghi_chu,so_buoc,phi,da_xong\r\n"
      "H29-0001,\"Nguyễn Văn A, phường \"\"Bến Thành\"\"\",2,15000.5,true\r\n"
      "H29-0002,\"hai\ndòng\",10,,0\r\n";
  const auto json = nlohmann::json::parse(csv_to_json(text, progress_mapping()));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["MaHoSo"], "H29-0001");
  EXPECT_EQ(json[0]["SoBuoc"], 2);
  EXPECT_DOUBLE_EQ(json[0]["Phi"].get<double>(), 15000.5);
  EXPECT_EQ(json[0]["DaXong"], true);
  EXPECT_FALSE(json[0].contains("ghi_chu"));  // unmapped columns are left out
  EXPECT_FALSE(json[1].contains("Phi"));      // optional and empty: absent, not ""
  EXPECT_EQ(json[1]["DaXong"], false);
}

TEST(Csv, keeps_field_order_of_the_mapping_and_wraps_with_constants) {
  CsvMapping m;
  m.header = false;
  m.delimiter = ';';
  m.columns = {{"", 2, "b", FieldType::string, true}, {"", 1, "a", FieldType::integer, true}};
  m.wrap_field = "data";
  m.constants = {{"service", "CapNhatTienDoHoSoMC"}};
  EXPECT_EQ(csv_to_json("1;x\n2;y\n\n", m),
            R"({"service":"CapNhatTienDoHoSoMC","data":[{"b":"x","a":1},{"b":"y","a":2}]})");
}

TEST(Csv, names_row_line_and_column_of_a_value_that_does_not_fit) {
  const std::string text = "ma_ho_so,so_buoc,phi,da_xong\nH1,1,,true\nH2,hai,,true\n";
  EXPECT_EQ(csv_error(text, progress_mapping()), "row 2 (line 3), column 'so_buoc': 'hai' is not an integer");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nH1,1,1;5,true\n", progress_mapping()),
            "row 1 (line 2), column 'phi': '1;5' is not a number (use '.' for decimals)");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nH1,1,,\"y\r\nes\"\n", progress_mapping()),
            "row 1 (line 2), column 'da_xong': 'y  es' is not a boolean (true, false, 1 or 0)");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nH1,1,,yes\n", progress_mapping()),
            "row 1 (line 2), column 'da_xong': 'yes' is not a boolean (true, false, 1 or 0)");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\n,1,,true\n", progress_mapping()),
            "row 1 (line 2), column 'ma_ho_so': empty");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nH1,99999999999999999999,,true\n", progress_mapping()),
            "row 1 (line 2), column 'so_buoc': '99999999999999999999' is out of range for an integer");
}

TEST(Csv, refuses_a_row_with_another_number_of_columns_and_a_missing_header_column) {
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nH1,1,true\n", progress_mapping()),
            "row 1 (line 2): 3 columns, the header has 4");
  EXPECT_EQ(csv_error("ma_ho_so,phi,da_xong\nH1,,true\n", progress_mapping()),
            "column 'so_buoc' is not in the header (line 1)");
  EXPECT_EQ(csv_error("", progress_mapping()), "the file is empty: no header row");
}

TEST(Csv, refuses_broken_quoting_and_text_that_is_not_utf8) {
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nH\"1,1,,true\n", progress_mapping()),
            "line 2, column 1: a quote inside an unquoted value");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\n\"H1\"x,1,,true\n", progress_mapping()),
            "line 2, column 1: text after a closing quote");
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\n\"H1,1,,true\n", progress_mapping()),
            "line 2: a quoted value is never closed");
  // Windows-1258 / Latin-1 bytes, as an old export might write them.
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nNguy\xEAn,1,,true\n", progress_mapping()),
            "line 2: not UTF-8 (byte 34); export the file as UTF-8");
  EXPECT_EQ(csv_error("a\n\xC0\xAE\n", progress_mapping()), "line 2: not UTF-8 (byte 3); export the file as UTF-8");
}

TEST(Csv, bounds_rows_and_repeats_only_a_bounded_part_of_a_bad_value) {
  auto m = progress_mapping();
  m.max_rows = 2;
  EXPECT_EQ(csv_error("ma_ho_so,so_buoc,phi,da_xong\nA,1,,1\nB,1,,1\nC,1,,1\n", m),
            "row 3 (line 4): more than 2 rows (csv.max_rows)");
  const std::string message =
      csv_error("ma_ho_so,so_buoc,phi,da_xong\nA," + std::string(5000, '9') + "x,,1\n", progress_mapping());
  EXPECT_LT(message.size(), 200u) << message;
}

// --- read locks --------------------------------------------------------------------------------------

TEST(ReadLock, done_file_waits_for_the_marker_and_never_takes_the_marker) {
  TempDir dir;
  ReadLockTracker tracker({ReadLock::done_file, ".done", 1000ms, {".*", "*.tmp"}});
  write(dir.path() / "a.xml", "<a/>");
  const auto now = ReadLockTracker::Clock::now();
  EXPECT_EQ(tracker.check(dir.path(), "a.xml", now), ReadLockTracker::Verdict::wait);
  write(dir.path() / "a.xml.done", "");
  EXPECT_EQ(tracker.check(dir.path(), "a.xml", now), ReadLockTracker::Verdict::ready);
  EXPECT_EQ(tracker.check(dir.path(), "a.xml.done", now), ReadLockTracker::Verdict::skip);
  EXPECT_EQ(tracker.marked_file("a.xml.done"), "a.xml");
  EXPECT_EQ(tracker.marked_file("a.xml"), "");
}

TEST(ReadLock, rename_takes_at_once_but_ignores_temporary_names) {
  TempDir dir;
  ReadLockTracker tracker({ReadLock::rename, ".done", 1000ms, {".*", "*.tmp"}});
  write(dir.path() / "a.json.tmp", "{");
  write(dir.path() / ".a.json", "{");
  write(dir.path() / "a.json", "{}");
  fs::create_directory(dir.path() / "done");
  const auto now = ReadLockTracker::Clock::now();
  EXPECT_EQ(tracker.check(dir.path(), "a.json.tmp", now), ReadLockTracker::Verdict::skip);
  EXPECT_EQ(tracker.check(dir.path(), ".a.json", now), ReadLockTracker::Verdict::skip);
  EXPECT_EQ(tracker.check(dir.path(), "done", now), ReadLockTracker::Verdict::skip);
  EXPECT_EQ(tracker.check(dir.path(), "gone.json", now), ReadLockTracker::Verdict::skip);
  EXPECT_EQ(tracker.check(dir.path(), "a.json", now), ReadLockTracker::Verdict::ready);
}

TEST(ReadLock, changed_takes_a_file_only_after_it_stayed_the_same_for_stable_ms) {
  TempDir dir;
  ReadLockTracker tracker({ReadLock::changed, ".done", 500ms, {}});
  write(dir.path() / "a.csv", "x");
  auto t = ReadLockTracker::Clock::now();
  EXPECT_EQ(tracker.check(dir.path(), "a.csv", t), ReadLockTracker::Verdict::wait);
  EXPECT_EQ(tracker.check(dir.path(), "a.csv", t + 400ms), ReadLockTracker::Verdict::wait);
  {
    std::ofstream out(dir.path() / "a.csv", std::ios::app);
    out << "more";
  }
  // Grew: the clock starts again.
  EXPECT_EQ(tracker.check(dir.path(), "a.csv", t + 600ms), ReadLockTracker::Verdict::wait);
  EXPECT_EQ(tracker.check(dir.path(), "a.csv", t + 1000ms), ReadLockTracker::Verdict::wait);
  EXPECT_EQ(tracker.check(dir.path(), "a.csv", t + 1100ms), ReadLockTracker::Verdict::ready);
}

// --- inotify -----------------------------------------------------------------------------------------

TEST(InboxWatch, reports_closed_writes_and_renames_in_but_not_other_folders) {
  TempDir dir;
  fs::create_directory(dir.path() / "in");
  InboxWatch watch(dir.path() / "in", false);
  write(dir.path() / "in" / "a.xml", "<a/>");
  write(dir.path() / "b.xml", "<b/>");
  fs::rename(dir.path() / "b.xml", dir.path() / "in" / "b.xml");
  std::vector<std::string> names;
  for (int i = 0; i < 10 && names.size() < 2; ++i) {
    auto events = watch.wait(200ms);
    names.insert(names.end(), events.names.begin(), events.names.end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.xml", "b.xml"}));
}

TEST(InboxWatch, wake_ends_a_wait_at_once) {
  TempDir dir;
  InboxWatch watch(dir.path(), false);
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    watch.wake();
  });
  const auto start = std::chrono::steady_clock::now();
  auto events = watch.wait(10s);
  waker.join();
  EXPECT_TRUE(events.woken);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(InboxWatch, says_when_the_folder_goes_away) {
  TempDir dir;
  fs::create_directory(dir.path() / "in");
  InboxWatch watch(dir.path() / "in", false);
  fs::remove(dir.path() / "in");
  bool gone = false;
  for (int i = 0; i < 10 && !gone; ++i) gone = watch.wait(200ms).gone;
  EXPECT_TRUE(gone);
}

// --- file operations ---------------------------------------------------------------------------------

TEST(DropFiles, hashes_the_file_streamed_as_sha256) {
  TempDir dir;
  std::string content(3 * 1024 * 1024 + 17, 'x');  // more than one read chunk
  content[12345] = 'y';
  write(dir.path() / "big.bin", content);
  const auto hashed = read_hashed(dir.path() / "big.bin", 100 << 20);
  EXPECT_EQ(hashed.sha256, lgsp::bus::sha256_hex(content));
  EXPECT_EQ(hashed.body, content);
  EXPECT_EQ(hashed.size, content.size());
}

TEST(DropFiles, refuses_files_above_the_limit_links_and_pipes) {
  TempDir dir;
  write(dir.path() / "a.xml", std::string(1001, 'a'));
  try {
    read_hashed(dir.path() / "a.xml", 1000);
    FAIL();
  } catch (const ReadRefusal& e) {
    EXPECT_EQ(e.kind, ReadRefusal::Kind::too_large);
    EXPECT_STREQ(e.what(), "the file has 1001 bytes, more than max_file_bytes = 1000");
  }
  fs::create_symlink("/etc/passwd", dir.path() / "link.xml");
  try {
    read_hashed(dir.path() / "link.xml", 1000);
    FAIL();
  } catch (const ReadRefusal& e) {
    EXPECT_EQ(e.kind, ReadRefusal::Kind::not_regular);
  }
  ASSERT_EQ(::mkfifo((dir.path() / "pipe.xml").c_str(), 0600), 0);
  try {
    read_hashed(dir.path() / "pipe.xml", 1000);  // must not block waiting for a writer
    FAIL();
  } catch (const ReadRefusal& e) {
    EXPECT_EQ(e.kind, ReadRefusal::Kind::not_regular);
  }
  try {
    read_hashed(dir.path() / "missing.xml", 1000);
    FAIL();
  } catch (const FileError& e) {
    EXPECT_TRUE(e.not_found());
  }
}

TEST(DropFiles, free_name_never_picks_a_taken_name_or_one_whose_companion_is_taken) {
  TempDir dir;
  EXPECT_EQ(free_name(dir.path(), "report.csv", {".receipt.json"}), "report.csv");
  write(dir.path() / "report.csv", "");
  EXPECT_EQ(free_name(dir.path(), "report.csv", {".receipt.json"}), "report.2.csv");
  write(dir.path() / "report.2.csv.receipt.json", "");
  EXPECT_EQ(free_name(dir.path(), "report.csv", {".receipt.json"}), "report.3.csv");
  write(dir.path() / "README", "");
  EXPECT_EQ(free_name(dir.path(), "README", {}), "README.2");
}

TEST(DropFiles, rename_noreplace_never_overwrites) {
  TempDir dir;
  write(dir.path() / "a", "new");
  write(dir.path() / "b", "old");
  try {
    rename_noreplace(dir.path() / "a", dir.path() / "b");
    FAIL();
  } catch (const FileError& e) {
    EXPECT_EQ(e.error_number(), EEXIST);
  }
  EXPECT_EQ(read(dir.path() / "b"), "old");
  EXPECT_EQ(read(dir.path() / "a"), "new");
}

TEST(DropFiles, write_atomic_leaves_no_temporary_and_refuses_to_replace_unless_asked) {
  TempDir dir;
  write_atomic(dir.path(), "x.json", "{}", false);
  EXPECT_EQ(read(dir.path() / "x.json"), "{}");
  EXPECT_THROW(write_atomic(dir.path(), "x.json", "[]", false), FileError);
  EXPECT_EQ(read(dir.path() / "x.json"), "{}");
  write_atomic(dir.path(), "x.json", "[]", true);
  EXPECT_EQ(read(dir.path() / "x.json"), "[]");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
  // What a killed write leaves is recognised and cleaned up; other dot files are not touched.
  write(dir.path() / ".x.json.tmp-lgsp-AbC123", "half");
  write(dir.path() / ".keep", "");
  EXPECT_EQ(remove_stale_temporaries(dir.path()), 1u);
  EXPECT_TRUE(fs::exists(dir.path() / ".keep"));
}

// --- outbound ----------------------------------------------------------------------------------------

Delivery delivery(const std::string& id, const std::string& client = "000.00.13.H29/MOTCUA") {
  Delivery d;
  d.message_id = id;
  d.client = client;
  d.service = "000.00.13.H29/HOTICH/hoso/v1";
  d.accepted_at = "2026-12-04T20:00:00.000Z";
  d.content_type = "application/json";
  d.body = R"({"a":1})";
  d.payload_sha256 = lgsp::bus::sha256_hex(d.body);
  d.signer = "CN=lgsp-node";
  return d;
}

TEST(Outbound, names_files_by_allow_listed_message_ids) {
  EXPECT_EQ(OutboundWriter::stem_for("2026-000123"), "2026-000123");
  const std::string dots = OutboundWriter::stem_for("..");
  EXPECT_EQ(dots.substr(0, 3), "_.~");
  EXPECT_NE(OutboundWriter::stem_for("a:b"), OutboundWriter::stem_for("a_b"));
  EXPECT_EQ(OutboundWriter::stem_for("a:b@c").substr(0, 6), "a_b_c~");
  EXPECT_EQ(OutboundWriter::stem_for("../../etc/passwd").find('/'), std::string::npos);
  EXPECT_EQ(OutboundWriter::extension_for("application/json; charset=utf-8"), ".json");
  EXPECT_EQ(OutboundWriter::extension_for("Application/XML"), ".xml");
  EXPECT_EQ(OutboundWriter::extension_for("application/soap+xml"), ".xml");
  EXPECT_EQ(OutboundWriter::extension_for("text/csv"), ".csv");
  EXPECT_EQ(OutboundWriter::extension_for("application/pdf"), ".bin");
}

TEST(Outbound, writes_a_delivery_with_its_receipt_once) {
  TempDir dir;
  OutboundWriter writer(dir.path());
  const auto d = delivery("2026-000123");
  EXPECT_EQ(writer.write(d, R"({"v":1,"alg":"ES256"})"), OutboundWriter::Result::written);
  EXPECT_EQ(read(dir.path() / "2026-000123.json"), d.body);
  const auto receipt = nlohmann::json::parse(read(dir.path() / "2026-000123.receipt.json"));
  EXPECT_EQ(receipt["message_id"], "2026-000123");
  EXPECT_EQ(receipt["client"], d.client);
  EXPECT_EQ(receipt["payload_sha256"], d.payload_sha256);
  EXPECT_EQ(receipt["signature"]["alg"], "ES256");
  // The node delivers at least once: the same delivery again is not written again.
  fs::last_write_time(dir.path() / "2026-000123.json", fs::file_time_type::clock::now() - std::chrono::hours(1));
  const auto before = fs::last_write_time(dir.path() / "2026-000123.json");
  EXPECT_EQ(writer.write(d, "{}"), OutboundWriter::Result::repeated);
  EXPECT_EQ(fs::last_write_time(dir.path() / "2026-000123.json"), before);
  // Another client's message with the same id is its own file.
  auto other = delivery("2026-000123", "000.00.13.H29/KHAC");
  other.body = R"({"b":2})";
  EXPECT_EQ(writer.write(other, "{}"), OutboundWriter::Result::written);
  EXPECT_EQ(read(dir.path() / "2026-000123.json"), d.body);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) files += entry.path().extension() == ".json";
  EXPECT_EQ(files, 4u);  // two deliveries, two receipts
}

TEST(Outbound, a_full_disk_is_reported_as_no_space_and_leaves_no_partial_file) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  TempDir dir;
  const fs::path mnt = dir.path() / "small";
  fs::create_directory(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) GTEST_SKIP() << "cannot mount tmpfs here";
  {
    OutboundWriter writer(mnt);
    auto d = delivery("big");
    d.body = std::string(256 * 1024, 'x');
    try {
      writer.write(d, "{}");
      ADD_FAILURE() << "a 256 KiB file fitted on a 64 KiB disk";
    } catch (const FileError& e) {
      EXPECT_TRUE(e.no_space()) << e.what();
    }
    EXPECT_FALSE(fs::exists(mnt / "big.json"));
    for (const auto& entry : fs::directory_iterator(mnt))
      EXPECT_FALSE(is_temporary_name(entry.path().filename().string())) << entry.path();
  }
  ::umount(mnt.c_str());
}

}  // namespace
