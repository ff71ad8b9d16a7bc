// Forms 01-07 as PDF: what pdftotext reads back (Vietnamese text exactly, and without a warning from pdftotext or
// pdffonts), page breaks, the QR code, bad input.
#include "lgsp/onestop/forms.hpp"

#include "process.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace lgsp::onestop;
using namespace std::chrono;

namespace {

TimePoint at(int y, unsigned m, unsigned d, int hh, int mm) {
  return at_local(Date{year{y}, month{m}, day{d}}, hours{hh} + minutes{mm});
}

FormHeader header() {
  return {"UBND QUẬN 1", "UBND PHƯỜNG BẾN THÀNH", "Bến Thành", "125/TNHS", at(2025, 11, 20, 9, 31)};
}

Applicant applicant() {
  return {"Nguyễn Thị Hoà Ánh", "Số 12 Lê Lợi, phường Bến Thành, Thành phố Hồ Chí Minh", "0912 345 678",
          "anh@example.vn"};
}

const std::string kProcedure = "Đăng ký khai sinh kết hợp đăng ký thường trú và cấp thẻ bảo hiểm y tế cho trẻ em";
const std::string kCode = "H29.12-251120-0007";

class FormsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-forms-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::vector<unsigned char>& pdf, const std::string& name = "form.pdf") {
    auto file = dir_ / name;
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(pdf.data()), pdf.size());
    return file;
  }
  // pdftotext -layout, with runs of blanks collapsed to one space (the layout pads between columns).
  std::string text(const std::vector<unsigned char>& pdf) {
    EXPECT_GE(pdf.size(), 5u);
    EXPECT_EQ(std::string(pdf.begin(), pdf.begin() + 5), "%PDF-");
    auto file = write(pdf);
    auto r = lgsp::test::run({PDFTOTEXT_BINARY, "-layout", file.string(), "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // Readers must take the fonts as they are: no "Invalid ToUnicode CMap" or other syntax warning.
    EXPECT_EQ(r.err, "") << "pdftotext warns";
    auto fonts = lgsp::test::run({PDFFONTS_BINARY, file.string()});
    EXPECT_EQ(fonts.exit_code, 0) << fonts.err;
    EXPECT_EQ(fonts.err, "") << "pdffonts warns";
    // Every font is embedded, subset and has a ToUnicode map (the "uni" column).
    std::istringstream lines(fonts.out);
    std::string line;
    int listed = 0;
    while (std::getline(lines, line))
      if (line.find("CID TrueType") != std::string::npos) {
        ++listed;
        EXPECT_NE(line.find("Identity-H       yes yes yes"), std::string::npos) << line;
      }
    EXPECT_GE(listed, 1) << fonts.out;
    return std::regex_replace(r.out, std::regex("[ \t]+"), " ");
  }
  // The same with line breaks joined: for text that wraps over lines.
  static std::string flat(const std::string& t) { return std::regex_replace(t, std::regex(" ?\n ?"), " "); }
  int pages(const std::vector<unsigned char>& pdf) {
    auto r = lgsp::test::run({PDFINFO_BINARY, write(pdf, "info.pdf").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("Pages:\\s+(\\d+)"))) return -1;
    return std::stoi(m[1]);
  }
  static void expect_national_header(const std::string& t) {
    EXPECT_NE(t.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), std::string::npos) << t;
    EXPECT_NE(t.find("Độc lập - Tự do - Hạnh phúc"), std::string::npos) << t;
    EXPECT_NE(t.find("UBND PHƯỜNG BẾN THÀNH"), std::string::npos) << t;
    EXPECT_NE(t.find("UBND QUẬN 1"), std::string::npos) << t;
    EXPECT_NE(t.find("Số: 125/TNHS"), std::string::npos) << t;
    EXPECT_NE(t.find("Bến Thành, ngày 20 tháng 11 năm 2025"), std::string::npos) << t;
  }

  fs::path dir_;
};

ReceiptSlip receipt() {
  ReceiptSlip f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.documents = {{"Tờ khai đăng ký khai sinh (theo mẫu)", 1, 0},
                 {"Giấy chứng sinh do cơ sở y tế cấp", 1, 0},
                 {"Căn cước công dân của cha, mẹ", 0, 2}};
  f.processing_time = "03 ngày làm việc";
  f.received_at = at(2025, 11, 20, 9, 31);
  f.due_at = at(2025, 11, 25, 16, 0);
  f.result_delivery = "Bộ phận Một cửa UBND phường Bến Thành";
  f.lookup_url = "https://dichvucong.hochiminhcity.gov.vn/tra-cuu?ma=" + kCode;
  f.receiving_officer = {"", "Trần Thị Bình"};
  return f;
}

TEST_F(FormsTest, receipt_slip_shows_code_applicant_procedure_documents_times_and_lookup) {
  auto pdf = render(receipt());
  auto t = text(pdf);
  expect_national_header(t);
  EXPECT_NE(t.find("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"), std::string::npos) << t;
  EXPECT_NE(t.find("Mã hồ sơ: " + kCode), std::string::npos) << t;
  EXPECT_NE(t.find("Tiếp nhận hồ sơ của: Nguyễn Thị Hoà Ánh"), std::string::npos) << t;
  EXPECT_NE(flat(t).find("Nội dung yêu cầu giải quyết: " + kProcedure), std::string::npos) << t;
  EXPECT_NE(t.find("Giấy chứng sinh do cơ sở y tế cấp"), std::string::npos) << t;
  EXPECT_NE(t.find("Căn cước công dân của cha, mẹ"), std::string::npos) << t;
  EXPECT_NE(t.find("Bản chính"), std::string::npos) << t;
  EXPECT_NE(t.find("Thời gian nhận hồ sơ: 09 giờ 31 phút, ngày 20/11/2025"), std::string::npos) << t;
  EXPECT_NE(t.find("Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 25/11/2025"), std::string::npos) << t;
  EXPECT_NE(flat(t).find("nhập mã hồ sơ " + kCode), std::string::npos) << t;
  EXPECT_NE(t.find("NGƯỜI TIẾP NHẬN HỒ SƠ"), std::string::npos) << t;
  EXPECT_NE(t.find("Trần Thị Bình"), std::string::npos) << t;
  EXPECT_EQ(pages(pdf), 1);
}

TEST_F(FormsTest, receipt_slip_draws_the_qr_code_as_filled_modules) {
  RenderOptions plain;
  plain.compress = false;
  auto pdf = render(receipt(), plain);
  std::string body(pdf.begin(), pdf.end());
  // Each dark module is one rectangle; a version-3+ QR code of this URL has a few hundred.
  std::size_t rects = 0;
  for (auto p = body.find(" re\n"); p != std::string::npos; p = body.find(" re\n", p + 1)) ++rects;
  EXPECT_GT(rects, 200u);
  EXPECT_NE(body.find("\nf\n"), std::string::npos);  // filled, not stroked
}

TEST_F(FormsTest, receipt_slip_refuses_an_empty_lookup_url) {
  auto f = receipt();
  f.lookup_url.clear();
  try {
    render(f);
    FAIL() << "rendered without a lookup URL";
  } catch (const FormError& e) {
    EXPECT_NE(std::string(e.what()).find("lookup_url is empty"), std::string::npos) << e.what();
  }
}

TEST_F(FormsTest, forms_refuse_missing_required_fields) {
  auto f = receipt();
  f.dossier_code.clear();
  EXPECT_THROW(render(f), FormError);
  f = receipt();
  f.applicant.name.clear();
  EXPECT_THROW(render(f), FormError);
  f = receipt();
  f.header.agency_name.clear();
  EXPECT_THROW(render(f), FormError);
  f = receipt();
  f.header.issued_at = {};
  EXPECT_THROW(render(f), FormError);
}

TEST_F(FormsTest, supplement_request_lists_what_is_missing_and_why) {
  SupplementRequest f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.received_at = at(2025, 11, 20, 9, 31);
  f.items = {{"Giấy chứng nhận kết hôn của cha, mẹ", "Chưa nộp bản sao có chứng thực"},
             {"Tờ khai đăng ký khai sinh", "Thiếu chữ ký của người đi đăng ký ở mục ấ ầ ẩ ẫ ậ"}};
  f.contact = "Bộ phận Một cửa, điện thoại 024 3826 0000";
  f.officer = {"", "Lê Văn Đức"};
  auto pdf = render(f);
  auto t = text(pdf);
  expect_national_header(t);
  EXPECT_NE(t.find("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"), std::string::npos) << t;
  EXPECT_NE(t.find("Mã hồ sơ: " + kCode), std::string::npos) << t;
  EXPECT_NE(t.find("Nguyễn Thị Hoà Ánh"), std::string::npos) << t;
  EXPECT_NE(t.find("1. Giấy chứng nhận kết hôn của cha, mẹ"), std::string::npos) << t;
  EXPECT_NE(t.find("Lý do: Chưa nộp bản sao có chứng thực"), std::string::npos) << t;
  EXPECT_NE(t.find("2. Tờ khai đăng ký khai sinh"), std::string::npos) << t;
  EXPECT_NE(t.find("Lý do: Thiếu chữ ký của người đi đăng ký ở mục ấ ầ ẩ ẫ ậ"), std::string::npos) << t;
  EXPECT_NE(flat(t).find("Bộ phận Một cửa, điện thoại 024 3826 0000"), std::string::npos) << t;
  EXPECT_NE(t.find("NGƯỜI HƯỚNG DẪN"), std::string::npos) << t;
  EXPECT_NE(t.find("Lê Văn Đức"), std::string::npos) << t;
}

TEST_F(FormsTest, supplement_request_refuses_an_empty_list) {
  SupplementRequest f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  EXPECT_THROW(render(f), FormError);
}

TEST_F(FormsTest, refusal_slip_gives_the_reasons) {
  RefusalSlip f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.received_at = at(2025, 11, 20, 9, 31);
  f.reasons = {"Hồ sơ không thuộc thẩm quyền giải quyết của UBND phường", "Người nộp không có giấy ủy quyền hợp lệ"};
  auto t = text(render(f));
  expect_national_header(t);
  EXPECT_NE(t.find("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"), std::string::npos) << t;
  EXPECT_NE(t.find("1. Hồ sơ không thuộc thẩm quyền giải quyết của UBND phường"), std::string::npos) << t;
  EXPECT_NE(t.find("2. Người nộp không có giấy ủy quyền hợp lệ"), std::string::npos) << t;
  EXPECT_NE(t.find("Nguyễn Thị Hoà Ánh"), std::string::npos) << t;
}

// libharu alone embeds only the first level of a composite glyph: "ấ" is then drawn as "â" or "á" (whichever
// mark is missing) although pdftotext reads "ấ". A letter with two marks must look unlike both one-mark letters.
TEST_F(FormsTest, letters_with_two_marks_are_drawn_with_both) {
  int n = 0;
  auto raster = [&](const std::string& letter) {
    RefusalSlip f;
    f.header = header();
    f.applicant = applicant();
    f.procedure_name = kProcedure;
    f.received_at = at(2025, 11, 20, 9, 31);
    f.reasons = {letter};  // regular text: DejaVu Sans nests the marks there
    const std::string name = "r" + std::to_string(++n);
    auto file = write(render(f), name + ".pdf");
    auto r =
        lgsp::test::run({PDFTOPPM_BINARY, "-r", "60", "-gray", "-singlefile", file.string(), (dir_ / name).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(dir_ / (name + ".pgm"), std::ios::binary);
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  };
  const std::vector<std::array<std::string, 3>> letters = {{"ấ", "â", "á"}, {"ậ", "â", "ạ"}, {"ệ", "ê", "ẹ"},
                                                           {"ộ", "ô", "ọ"}, {"ặ", "ă", "ạ"}, {"ữ", "ư", "ũ"}};
  for (const auto& [both, first, second] : letters) {
    const auto drawn = raster(both);
    ASSERT_FALSE(drawn.empty());
    EXPECT_NE(drawn, raster(first)) << both << " is drawn as " << first;
    EXPECT_NE(drawn, raster(second)) << both << " is drawn as " << second;
  }
}

TEST_F(FormsTest, apology_letter_gives_original_due_reason_and_new_due) {
  ApologyLetter f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.received_at = at(2025, 11, 20, 9, 31);
  f.original_due_at = at(2025, 11, 25, 16, 0);
  f.reason = "Phải xác minh thông tin cư trú với Công an phường";
  f.new_due_at = at(2025, 11, 28, 10, 30);
  f.head = {"CHỦ TỊCH", "Phạm Quốc Hưng"};
  auto t = text(render(f));
  expect_national_header(t);
  EXPECT_NE(t.find("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"), std::string::npos) << t;
  EXPECT_NE(t.find("Kính gửi: Ông/Bà Nguyễn Thị Hoà Ánh"), std::string::npos) << t;
  EXPECT_NE(t.find("Thời gian hẹn trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 25/11/2025"), std::string::npos)
      << t;
  EXPECT_NE(t.find("Lý do: Phải xác minh thông tin cư trú với Công an phường"), std::string::npos) << t;
  EXPECT_NE(flat(t).find("10 giờ 30 phút, ngày 28/11/2025"), std::string::npos) << t;
  EXPECT_NE(t.find("CHỦ TỊCH"), std::string::npos) << t;
  EXPECT_NE(t.find("Phạm Quốc Hưng"), std::string::npos) << t;
}

TEST_F(FormsTest, apology_letter_refuses_a_new_due_not_after_the_original) {
  ApologyLetter f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.reason = "x";
  f.original_due_at = at(2025, 11, 25, 16, 0);
  f.new_due_at = f.original_due_at;
  EXPECT_THROW(render(f), FormError);
}

TEST_F(FormsTest, stop_notice_gives_the_reason) {
  StopNotice f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.received_at = at(2025, 11, 20, 9, 31);
  f.stopped_at = at(2025, 11, 22, 8, 5);
  f.reason = "Công dân có đơn đề nghị rút hồ sơ ngày 21/11/2025";
  auto t = text(render(f));
  expect_national_header(t);
  EXPECT_NE(t.find("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"), std::string::npos) << t;
  EXPECT_NE(t.find("Lý do: Công dân có đơn đề nghị rút hồ sơ ngày 21/11/2025"), std::string::npos) << t;
  EXPECT_NE(flat(t).find("08 giờ 05 phút, ngày 22/11/2025"), std::string::npos) << t;
  EXPECT_NE(flat(t).find("mã hồ sơ: " + kCode), std::string::npos) << t;
}

TEST(Timeliness, is_early_before_the_due_day_on_time_on_it_late_after_the_due_time) {
  const TimePoint due = at(2025, 11, 25, 16, 0);
  EXPECT_EQ(timeliness(at(2025, 11, 24, 17, 0), due), Timeliness::kEarly);
  EXPECT_EQ(timeliness(at(2025, 11, 25, 8, 0), due), Timeliness::kOnTime);
  EXPECT_EQ(timeliness(due, due), Timeliness::kOnTime);
  EXPECT_EQ(timeliness(due + minutes{1}, due), Timeliness::kLate);
  EXPECT_EQ(timeliness_label(Timeliness::kEarly), "Trước hạn");
  EXPECT_EQ(timeliness_label(Timeliness::kOnTime), "Đúng hạn");
  EXPECT_EQ(timeliness_label(Timeliness::kLate), "Quá hạn");
}

TEST_F(FormsTest, control_slip_shows_each_hand_over_and_its_result) {
  ControlSlip f;
  f.header = header();
  f.dossier_code = kCode;
  f.applicant = applicant();
  f.procedure_name = kProcedure;
  f.received_at = at(2025, 11, 20, 9, 31);
  f.due_at = at(2025, 11, 25, 16, 0);
  f.hand_overs = {
      {"Tiếp nhận", "Bộ phận Một cửa", "Công chức tư pháp", at(2025, 11, 20, 9, 40), at(2025, 11, 21, 9, 40),
       at(2025, 11, 20, 15, 0), ""},
      {"Thẩm định", "Công chức tư pháp", "Lãnh đạo UBND", at(2025, 11, 21, 8, 0), at(2025, 11, 24, 17, 0),
       at(2025, 11, 24, 11, 0), ""},
      {"Phê duyệt", "Lãnh đạo UBND", "Văn thư", at(2025, 11, 24, 11, 0), at(2025, 11, 25, 10, 0),
       at(2025, 11, 25, 14, 0), "Xác minh"},
      {"Trả kết quả", "Văn thư", "Bộ phận Một cửa", at(2025, 11, 25, 14, 0), at(2025, 11, 25, 16, 0), std::nullopt, ""},
  };
  auto pdf = render(f);
  auto t = text(pdf);
  expect_national_header(t);
  EXPECT_NE(t.find("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"), std::string::npos) << t;
  EXPECT_NE(t.find("Mã hồ sơ: " + kCode), std::string::npos) << t;
  EXPECT_NE(t.find("Trước hạn"), std::string::npos) << t;
  EXPECT_NE(t.find("Đúng hạn"), std::string::npos) << t;
  EXPECT_NE(t.find("Quá hạn"), std::string::npos) << t;
  EXPECT_NE(t.find("Thẩm định"), std::string::npos) << t;
  EXPECT_NE(t.find("Xác minh"), std::string::npos) << t;
  EXPECT_NE(t.find("Văn thư"), std::string::npos) << t;
  // Row 1 finished a day early, row 2 on the due day, row 3 after the due time.
  auto early = t.find("Trước hạn"), on_time = t.find("Đúng hạn"), late = t.find("Quá hạn", t.find("Phê duyệt"));
  EXPECT_LT(early, on_time);
  EXPECT_LT(on_time, late);
}

TEST_F(FormsTest, register_spans_pages_with_every_row_and_the_header_row_on_each_page) {
  DossierRegister f;
  f.header = header();
  f.period_from = Date{year{2025}, month{11}, day{1}};
  f.period_to = Date{year{2025}, month{11}, day{30}};
  const std::vector<std::string> names = {"Nguyễn Văn Ấn", "Trần Thị Ẩn", "Lê Hữu Đạt", "Phạm Thị Ngọc Ảnh"};
  for (int i = 1; i <= 70; ++i) {
    char code[32];
    std::snprintf(code, sizeof code, "H29.12-2511%02d-%04d", i % 28 + 1, i);
    RegisterEntry e{code,
                    names[i % names.size()],
                    i % 2 ? "Chứng thực bản sao từ bản chính" : "Đăng ký khai tử",
                    at(2025, 11, unsigned(i % 28 + 1), 8, 0),
                    at(2025, 11, unsigned(i % 28 + 1), 16, 30),
                    std::nullopt,
                    i % 3 ? "Đã trả kết quả" : "Đang xử lý"};
    if (i % 3) e.finished_at = at(2025, 11, unsigned(i % 28 + 1), 15, 0);
    f.entries.push_back(e);
  }
  auto pdf = render(f);
  const int n = pages(pdf);
  EXPECT_GE(n, 2);
  auto t = text(pdf);
  expect_national_header(t);
  EXPECT_NE(t.find("SỔ THEO DÕI HỒ SƠ"), std::string::npos) << t;
  EXPECT_NE(t.find("Từ ngày 01/11/2025 đến ngày 30/11/2025"), std::string::npos) << t;
  for (const auto& e : f.entries) EXPECT_NE(t.find(e.dossier_code), std::string::npos) << e.dossier_code;
  for (const auto& name : names) EXPECT_NE(t.find(name), std::string::npos) << name;
  EXPECT_NE(t.find("Chứng thực bản sao từ bản chính"), std::string::npos);
  EXPECT_NE(t.find("Đã trả kết quả"), std::string::npos);
  std::size_t header_rows = 0;
  for (auto p = t.find("Trạng thái"); p != std::string::npos; p = t.find("Trạng thái", p + 1)) ++header_rows;
  EXPECT_EQ(header_rows, static_cast<std::size_t>(n));
  EXPECT_NE(t.find("Trang 1/" + std::to_string(n)), std::string::npos);
  EXPECT_NE(t.find("Trang " + std::to_string(n) + "/" + std::to_string(n)), std::string::npos);
  EXPECT_NE(t.find("Tổng số: 70 hồ sơ."), std::string::npos);
}

TEST(FormText, times_and_dates_are_written_the_vietnamese_way) {
  EXPECT_EQ(format_form_time(at(2025, 11, 20, 9, 31)), "09 giờ 31 phút, ngày 20/11/2025");
  EXPECT_EQ(format_form_time(at(2026, 1, 2, 0, 5)), "00 giờ 05 phút, ngày 02/01/2026");
  EXPECT_EQ(format_form_date(Date{year{2025}, month{3}, day{5}}), "ngày 05 tháng 3 năm 2025");
  EXPECT_EQ(format_form_date(Date{year{2025}, month{2}, day{14}}), "ngày 14 tháng 02 năm 2025");
  EXPECT_EQ(format_form_date(Date{year{2025}, month{12}, day{31}}), "ngày 31 tháng 12 năm 2025");
}

TEST_F(FormsTest, a_missing_font_file_is_a_clear_error) {
  RenderOptions o;
  o.bold_font = dir_ / "no-such-font.ttf";
  try {
    render(receipt(), o);
    FAIL() << "rendered without the bold font";
  } catch (const FormError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no-such-font.ttf"), std::string::npos) << m;
    EXPECT_NE(m.find("bold font"), std::string::npos) << m;
    EXPECT_NE(m.find("fonts-dejavu-core"), std::string::npos) << m;
  }
}

TEST_F(FormsTest, a_file_that_is_not_a_truetype_font_is_a_clear_error) {
  RenderOptions o;
  o.regular_font = dir_ / "broken.ttf";
  std::ofstream(o.regular_font) << "not a font at all, just some text";
  try {
    render(receipt(), o);
    FAIL() << "rendered with a broken font";
  } catch (const FormError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("broken.ttf is not a TrueType font"), std::string::npos) << m;
  }
}

TEST_F(FormsTest, a_font_libharu_refuses_reports_the_libharu_error_number) {
  // DejaVu Sans with its OS/2 fsType set to "restricted licence embedding": libharu refuses to embed it.
  std::ifstream in(RenderOptions{}.regular_font, std::ios::binary);
  std::string font{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto be32 = [&](std::size_t at) {
    return std::uint32_t(std::uint8_t(font[at])) << 24 | std::uint32_t(std::uint8_t(font[at + 1])) << 16 |
           std::uint32_t(std::uint8_t(font[at + 2])) << 8 | std::uint8_t(font[at + 3]);
  };
  const std::size_t tables = std::size_t(std::uint8_t(font[4])) << 8 | std::uint8_t(font[5]);
  std::size_t os2 = 0;
  for (std::size_t i = 0; i < tables; ++i)
    if (font.compare(12 + 16 * i, 4, "OS/2") == 0) os2 = be32(12 + 16 * i + 8);
  ASSERT_NE(os2, 0u);
  font[os2 + 8] = 0;
  font[os2 + 9] = 2;
  RenderOptions o;
  o.regular_font = dir_ / "restricted.ttf";
  std::ofstream(o.regular_font, std::ios::binary) << font;
  try {
    render(receipt(), o);
    FAIL() << "rendered with a font that may not be embedded";
  } catch (const FormError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("restricted.ttf"), std::string::npos) << m;
    EXPECT_NE(m.find("libharu error 0x"), std::string::npos) << m;
  }
}

class NeverSigns : public lgsp::signing::Signer {
 public:
  lgsp::signing::KeyKind key_kind() const override { return lgsp::signing::KeyKind::kRsa; }
  X509* certificate() const override { return nullptr; }
  const std::vector<lgsp::signing::X509Ptr>& chain() const override { return chain_; }
  std::string description() const override { return "never signs"; }
  std::vector<unsigned char> sign_digest(const lgsp::signing::Sha256Digest&) override {
    ADD_FAILURE() << "asked to sign";
    return {};
  }

 private:
  std::vector<lgsp::signing::X509Ptr> chain_;
};

TEST(SignForm, refuses_content_that_is_not_a_pdf) {
  NeverSigns seal;
  const std::string html = "<html>Giấy tiếp nhận</html>";
  std::vector<unsigned char> bytes(html.begin(), html.end());
  EXPECT_THROW(sign_form(bytes, seal), FormError);
  EXPECT_THROW(sign_form({}, seal), FormError);
}

}  // namespace
