// The one-stop forms of Circular 03/2025/TT-VPCP (Phụ lục I, mẫu 01-07) rendered as PDF (A4, fonts embedded,
// Vietnamese text as UTF-8), and sealing of a rendered form with the agency seal key.
//
// Titles follow the table of Phụ lục I of Circular 03/2025 in the project's domain reference (vn-domain.md
// §1.1): mẫu 04 "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết" (under Circular 01/2018 it was "Phiếu
// xin lỗi và hẹn lại ngày trả kết quả", same content: original due time, reason, new due time), mẫu 05 "Thông báo
// dừng giải quyết hồ sơ". Per-step results of mẫu 06 use the reference's words "Trước hạn / Đúng hạn / Quá hạn".
// Times print as "09 giờ 31 phút, ngày 20/11/2025", the date line as "Bến Thành, ngày 20 tháng 11 năm 2025" (day
// < 10 and months 1-2 zero-padded, as Decree 30/2020 asks), all in Vietnam time. A4, margins of Decree 30/2020;
// 07 is landscape.
//
// Sealing: PAdES is not implemented yet, so a form is sealed with a detached CAdES-BES signature (.p7s) over the
// exact PDF bytes; the .p7s travels next to the PDF. Forms 01-05 go to the applicant and are sealed; 06 and 07
// are internal records and are usually not.
#pragma once

#include "lgsp/onestop/calendar.hpp"
#include "lgsp/onestop/local_time.hpp"
#include "lgsp/signing/signer.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::onestop {

// Bad form data (e.g. an empty lookup URL on a receipt slip), a missing font file, or a libharu/libqrencode
// failure (the message names the call and libharu's error number).
class FormError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Top of every form: agency block (left), national motto (right), number and the place/date line.
struct FormHeader {
  std::string parent_agency_name;  // "UBND QUẬN 1" (may be empty); printed as given, upper case expected
  std::string agency_name;  // "UBND PHƯỜNG BẾN THÀNH" or "BỘ PHẬN MỘT CỬA ..."; printed bold, required
  std::string place;        // "Bến Thành": the place in the date line, required
  std::string number;       // document number "125/TNHS" printed as "Số: 125/TNHS"; omitted when empty
  TimePoint issued_at{};    // the date of the date line
};

struct Applicant {
  std::string name;  // required
  std::string address;
  std::string phone;
  std::string email;
};

// Who signs a block: `title` is the role line ("NGƯỜI TIẾP NHẬN HỒ SƠ"); each form has a default when empty.
struct Signatory {
  std::string title;
  std::string name;
};

// ---- Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả ----
struct ReceivedDocument {
  std::string name;
  unsigned originals = 0;  // bản chính
  unsigned copies = 0;     // bản sao
};

struct ReceiptSlip {
  FormHeader header;
  std::string dossier_code;  // required
  Applicant applicant;
  std::string procedure_name;  // required
  std::vector<ReceivedDocument> documents;
  unsigned sets = 1;            // số lượng hồ sơ (bộ)
  std::string processing_time;  // "05 ngày làm việc"; omitted when empty
  TimePoint received_at{};
  TimePoint due_at{};           // appointment: when the result is returned
  std::string result_delivery;  // where the result is returned ("Tại Bộ phận Một cửa"); omitted when empty
  std::string lookup_url;       // required: encoded in the QR code and printed, with the dossier code
  Signatory receiving_officer;  // default title "NGƯỜI TIẾP NHẬN HỒ SƠ"
};

// ---- Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ ----
struct SupplementItem {
  std::string document;  // what is missing or must be completed
  std::string reason;    // why
};

struct SupplementRequest {
  FormHeader header;
  std::string dossier_code;  // required
  Applicant applicant;
  std::string procedure_name;  // required
  TimePoint received_at{};
  std::vector<SupplementItem> items;  // at least one
  std::string contact;                // "Bộ phận Một cửa, điện thoại 024 3826 0000"; omitted when empty
  Signatory officer;                  // default title "NGƯỜI HƯỚNG DẪN"
};

// ---- Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ ----
struct RefusalSlip {
  FormHeader header;
  std::string dossier_code;  // may be empty (refused before a code was given)
  Applicant applicant;
  std::string procedure_name;  // required
  TimePoint received_at{};
  std::vector<std::string> reasons;  // at least one
  Signatory officer;                 // default title "NGƯỜI TIẾP NHẬN HỒ SƠ"
};

// ---- Mẫu 04: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (new appointment) ----
struct ApologyLetter {
  FormHeader header;
  std::string dossier_code;  // required
  Applicant applicant;
  std::string procedure_name;  // required
  TimePoint received_at{};
  TimePoint original_due_at{};
  std::string reason;  // why the result is late; required
  TimePoint new_due_at{};
  Signatory head;  // default title "THỦ TRƯỞNG CƠ QUAN"
};

// ---- Mẫu 05: Thông báo dừng giải quyết hồ sơ ----
struct StopNotice {
  FormHeader header;
  std::string dossier_code;  // required
  Applicant applicant;
  std::string procedure_name;  // required
  TimePoint received_at{};
  TimePoint stopped_at{};
  std::string reason;  // required
  Signatory head;      // default title "THỦ TRƯỞNG CƠ QUAN"
};

// ---- Mẫu 06: Phiếu kiểm soát quá trình giải quyết hồ sơ ----
// The calendar's Timeliness (calendar.hpp): finished on an earlier local day than due: early; on the due day and
// not after the due time: on time; after the due time: late. Same rule, one place: WorkingCalendar::classify.
inline Timeliness timeliness(TimePoint finished_at, TimePoint due_at) {
  return WorkingCalendar::classify(due_at, finished_at);
}
// "Trước hạn" / "Đúng hạn" / "Quá hạn" (the words of the reference's control slip).
std::string_view timeliness_label(Timeliness t);

struct HandOver {
  std::string step;  // "Thẩm định hồ sơ"
  std::string from;  // who hands over (unit / person)
  std::string to;    // who receives
  TimePoint handed_at{};
  TimePoint due_at{};
  std::optional<TimePoint> finished_at;  // unset while the step is running: no result printed
  std::string note;
};

struct ControlSlip {
  FormHeader header;
  std::string dossier_code;  // required
  Applicant applicant;
  std::string procedure_name;  // required
  TimePoint received_at{};
  TimePoint due_at{};
  std::vector<HandOver> hand_overs;
};

// ---- Mẫu 07: Sổ theo dõi hồ sơ ----
struct RegisterEntry {
  std::string dossier_code;
  std::string applicant_name;
  std::string procedure_name;
  TimePoint received_at{};
  TimePoint due_at{};
  std::optional<TimePoint> finished_at;
  std::string status;  // as printed, e.g. "Đã trả kết quả" (the caller maps TrangThaiHoSo)
};

struct DossierRegister {
  FormHeader header;
  Date period_from{};
  Date period_to{};
  std::vector<RegisterEntry> entries;  // printed in this order; the table's header row repeats on every page
};

// Where the fonts come from. DejaVu (Debian: fonts-dejavu-core) covers every Vietnamese letter and tone mark.
struct RenderOptions {
  std::filesystem::path regular_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::filesystem::path bold_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
  std::filesystem::path italic_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf";
  bool compress = true;  // Flate-compress page content (off: readable content streams, for debugging)
};

// Each returns the PDF bytes. Throws FormError.
std::vector<unsigned char> render(const ReceiptSlip& form, const RenderOptions& options = {});
std::vector<unsigned char> render(const SupplementRequest& form, const RenderOptions& options = {});
std::vector<unsigned char> render(const RefusalSlip& form, const RenderOptions& options = {});
std::vector<unsigned char> render(const ApologyLetter& form, const RenderOptions& options = {});
std::vector<unsigned char> render(const StopNotice& form, const RenderOptions& options = {});
std::vector<unsigned char> render(const ControlSlip& form, const RenderOptions& options = {});
std::vector<unsigned char> render(const DossierRegister& form, const RenderOptions& options = {});

// "09 giờ 31 phút, ngày 20/11/2025" (Vietnam time).
std::string format_form_time(TimePoint t);
// "ngày 20 tháng 11 năm 2025" (day < 10 and months 1-2 zero-padded).
std::string format_form_date(Date d);

// Seals a rendered form with the agency seal (e.g. the hsm-sim token `agency-seal`): a detached CAdES-BES
// signature (DER .p7s) over the PDF bytes, by signing::sign_cades. Throws FormError when `pdf` is not a PDF;
// signing errors propagate as signing::SigningError.
std::vector<unsigned char> sign_form(std::span<const unsigned char> pdf, signing::Signer& seal);

}  // namespace lgsp::onestop
