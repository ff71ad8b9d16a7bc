// The layout of forms 01-07 (Circular 03/2025/TT-VPCP), on top of pdf::Writer.
#include "lgsp/onestop/forms.hpp"

#include "lgsp/signing/cades.hpp"
#include "pdf_writer.hpp"

#include <cstdio>

namespace lgsp::onestop {

using pdf::Align;
using pdf::Span;
using pdf::Style;
using namespace std::chrono;

namespace {

constexpr float kBody = 11;
constexpr float kSmall = 10;
constexpr float kTitle = 13;
constexpr float kTable = 8.5f;
constexpr const char* kSignHint = "(Ký và ghi rõ họ tên)";
constexpr const char* kSealHint = "(Ký, ghi rõ họ tên và đóng dấu)";

std::string two(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

std::string slash_date(Date d) {
  return two(unsigned(d.day())) + "/" + two(unsigned(d.month())) + "/" + std::to_string(int(d.year()));
}

void require(bool ok, const char* form, const char* what) {
  if (!ok) throw FormError(std::string("form ") + form + ": " + what);
}

void require_common(const FormHeader& h, const Applicant& a, const std::string& procedure, const char* form) {
  require(!h.agency_name.empty(), form, "header.agency_name is empty");
  require(!h.place.empty(), form, "header.place is empty");
  require(h.issued_at != TimePoint{}, form, "header.issued_at is not set");
  require(!a.name.empty(), form, "applicant.name is empty");
  require(!procedure.empty(), form, "procedure_name is empty");
}

// Agency block (left) and national motto (right), then the number and the place/date line.
void draw_header(pdf::Writer& w, const FormHeader& h) {
  const float left_w = w.width() * 0.42f;
  const float right_x = w.left() + left_w;
  const float right_w = w.width() - left_w;
  const float top = w.y();

  if (!h.parent_agency_name.empty())
    w.paragraph({{h.parent_agency_name}}, kSmall + 0.5f, Align::kCenter, 0, w.left(), left_w);
  w.paragraph({{h.agency_name, Style::kBold}}, kSmall + 0.5f, Align::kCenter, 0, w.left(), left_w);
  const float rule = left_w / 3;
  w.line(w.left() + (left_w - rule) / 2, w.y() - 1, w.left() + (left_w + rule) / 2, w.y() - 1);
  const float left_end = w.y();

  w.set_y(top);
  w.paragraph({{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Style::kBold}}, kSmall + 0.5f, Align::kCenter, 0, right_x,
              right_w);
  const std::string motto = "Độc lập - Tự do - Hạnh phúc";
  w.paragraph({{motto, Style::kBold}}, kBody, Align::kCenter, 0, right_x, right_w);
  const float mw = w.text_width(motto, Style::kBold, kBody);
  w.line(right_x + (right_w - mw) / 2, w.y() - 1, right_x + (right_w + mw) / 2, w.y() - 1);
  const float right_end = w.y();

  w.set_y(std::min(left_end, right_end) - 6);
  const float line_top = w.y();
  if (!h.number.empty()) w.paragraph({{"Số: " + h.number}}, kBody, Align::kCenter, 0, w.left(), left_w);
  const float number_end = w.y();
  w.set_y(line_top);
  w.paragraph({{h.place + ", " + format_form_date(local_date(h.issued_at)), Style::kItalic}}, kBody, Align::kCenter, 0,
              right_x, right_w);
  w.set_y(std::min(number_end, w.y()) - 14);
}

void draw_title(pdf::Writer& w, const std::string& title, const std::string& subtitle = {}) {
  w.paragraph({{title, Style::kBold}}, kTitle, Align::kCenter);
  if (!subtitle.empty()) w.paragraph({{subtitle, Style::kBold}}, kBody, Align::kCenter);
  w.move_down(10);
}

void field(pdf::Writer& w, const std::string& label, const std::string& value, Style value_style = Style::kRegular) {
  if (value.empty()) return;
  w.paragraph({{label}, {value, value_style}}, kBody);
}

void applicant_lines(pdf::Writer& w, const Applicant& a, const char* label) {
  field(w, label, a.name, Style::kBold);
  field(w, "Địa chỉ: ", a.address);
  std::string contact;
  if (!a.phone.empty()) contact += "Số điện thoại: " + a.phone;
  if (!a.email.empty()) contact += (contact.empty() ? "" : "    ") + std::string("Email: ") + a.email;
  if (!contact.empty()) w.paragraph({{contact}}, kBody);
}

// Signature blocks side by side (one block: on the right half, as on official documents, with the "Nơi nhận"
// list of an outgoing letter on the left when `recipients` is set).
void signatures(pdf::Writer& w, const std::vector<std::pair<Signatory, const char*>>& blocks, bool recipients = false) {
  constexpr float kSpace = 60;
  const float block_h = 2 * kBody * 1.35f + kSpace + kBody * 1.35f;
  w.move_down(12);
  w.ensure_room(block_h);
  const float top = w.y();
  const float col_w = w.width() / 2;
  float end = top;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const float x = blocks.size() == 1 ? w.left() + col_w : w.left() + col_w * static_cast<float>(i);
    w.set_y(top);
    w.paragraph({{blocks[i].first.title, Style::kBold}}, kBody, Align::kCenter, 0, x, col_w);
    w.paragraph({{blocks[i].second, Style::kItalic}}, kSmall, Align::kCenter, 0, x, col_w);
    w.move_down(kSpace);
    if (!blocks[i].first.name.empty())
      w.paragraph({{blocks[i].first.name, Style::kBold}}, kBody, Align::kCenter, 0, x, col_w);
    end = std::min(end, w.y());
  }
  if (recipients && blocks.size() == 1) {
    w.set_y(top);
    w.paragraph({{"Nơi nhận:", Style::kBold}}, kSmall, Align::kLeft, 0, w.left(), col_w);
    w.paragraph({{"- Như trên;"}}, kSmall - 1, Align::kLeft, 0, w.left(), col_w);
    w.paragraph({{"- Lưu: VT, hồ sơ."}}, kSmall - 1, Align::kLeft, 0, w.left(), col_w);
    end = std::min(end, w.y());
  }
  w.set_y(end);
}

Signatory titled(Signatory s, const char* default_title) {
  if (s.title.empty()) s.title = default_title;
  return s;
}

// In a table cell the time breaks after the comma: "09 giờ 31 phút," / "ngày 20/11/2025".
std::string cell_time(TimePoint t) {
  auto text = format_form_time(t);
  return text.replace(text.find(", "), 2, ",\n");
}

std::string count(unsigned n) { return n == 0 ? std::string() : two(n); }

}  // namespace

std::string format_form_time(TimePoint t) {
  auto m = local_time_of_day(t);
  auto hours = static_cast<unsigned>(m.count() / 60);
  auto mins = static_cast<unsigned>(m.count() % 60);
  return two(hours) + " giờ " + two(mins) + " phút, ngày " + slash_date(local_date(t));
}

std::string format_form_date(Date d) {
  const unsigned day = unsigned(d.day());
  const unsigned month = unsigned(d.month());
  return "ngày " + two(day) + " tháng " + (month <= 2 ? two(month) : std::to_string(month)) + " năm " +
         std::to_string(int(d.year()));
}

std::string_view timeliness_label(Timeliness t) {
  switch (t) {
    case Timeliness::kEarly:
      return "Trước hạn";
    case Timeliness::kOnTime:
      return "Đúng hạn";
    case Timeliness::kLate:
      return "Quá hạn";
  }
  return "";
}

std::vector<unsigned char> render(const ReceiptSlip& f, const RenderOptions& options) {
  require_common(f.header, f.applicant, f.procedure_name, "01");
  require(!f.dossier_code.empty(), "01", "dossier_code is empty");
  require(!f.lookup_url.empty(), "01",
          "lookup_url is empty: the receipt slip must carry the QR code with which the applicant looks the "
          "dossier up");
  pdf::Writer w(options, false);
  draw_header(w, f.header);
  draw_title(w, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mã hồ sơ: " + f.dossier_code);
  applicant_lines(w, f.applicant, "Tiếp nhận hồ sơ của: ");
  field(w, "Nội dung yêu cầu giải quyết: ", f.procedure_name, Style::kBold);

  int n = 0;
  auto item = [&](const std::string& label, const std::string& value, Style style = Style::kRegular) {
    w.paragraph({{std::to_string(++n) + ". " + label}, {value, style}}, kBody);
  };
  item("Thành phần hồ sơ nộp gồm:", "");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < f.documents.size(); ++i) {
    const auto& d = f.documents[i];
    rows.push_back({std::to_string(i + 1), d.name, count(d.originals), count(d.copies)});
  }
  if (rows.empty()) rows.push_back({"", "(không có)", "", ""});
  const float tw = w.width();
  w.move_down(2);
  w.table({{"TT", 28, Align::kCenter},
           {"Tên giấy tờ", tw - 28 - 2 * 62},
           {"Bản chính", 62, Align::kCenter},
           {"Bản sao", 62, Align::kCenter}},
          rows, kSmall);
  w.move_down(4);
  item("Số lượng hồ sơ: ", two(f.sets) + " bộ.");
  if (!f.processing_time.empty()) item("Thời gian giải quyết hồ sơ theo quy định là: ", f.processing_time + ".");
  item("Thời gian nhận hồ sơ: ", format_form_time(f.received_at) + ".");
  item("Thời gian trả kết quả giải quyết hồ sơ: ", format_form_time(f.due_at), Style::kBold);
  if (!f.result_delivery.empty()) item("Đăng ký nhận kết quả tại: ", f.result_delivery + ".");

  // Look-up: text on the left, QR code on the right.
  constexpr float kQr = 78;
  w.ensure_room(kQr + 4);
  const float top = w.y();
  w.paragraph({{std::to_string(++n) + ". Tra cứu tình trạng hồ sơ: quét mã QR bên cạnh hoặc truy cập "},
               {f.lookup_url, Style::kItalic},
               {" và nhập mã hồ sơ "},
               {f.dossier_code, Style::kBold},
               {"."}},
              kBody, Align::kLeft, 0, w.left(), w.width() - kQr - 10);
  w.qr(f.lookup_url, w.right() - kQr, top, kQr);
  w.set_y(std::min(w.y(), top - kQr));

  signatures(w, {{Signatory{"NGƯỜI NỘP HỒ SƠ", f.applicant.name}, kSignHint},
                 {titled(f.receiving_officer, "NGƯỜI TIẾP NHẬN HỒ SƠ"), kSignHint}});
  return w.save();
}

std::vector<unsigned char> render(const SupplementRequest& f, const RenderOptions& options) {
  require_common(f.header, f.applicant, f.procedure_name, "02");
  require(!f.dossier_code.empty(), "02", "dossier_code is empty");
  require(!f.items.empty(), "02", "no items: a supplement request must say what is missing");
  pdf::Writer w(options, false);
  draw_header(w, f.header);
  draw_title(w, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Mã hồ sơ: " + f.dossier_code);
  applicant_lines(w, f.applicant, "Hồ sơ của: ");
  field(w, "Nội dung yêu cầu giải quyết: ", f.procedure_name, Style::kBold);
  field(w, "Thời gian tiếp nhận: ", format_form_time(f.received_at) + ".");
  w.move_down(4);
  w.paragraph({{"Sau khi xem xét, đối chiếu thành phần hồ sơ, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm "
                "những nội dung sau:"}},
              kBody, Align::kLeft, 20);
  for (std::size_t i = 0; i < f.items.size(); ++i) {
    w.paragraph({{std::to_string(i + 1) + ". " + f.items[i].document, Style::kBold}}, kBody, Align::kLeft, 20);
    if (!f.items[i].reason.empty())
      w.paragraph({{"Lý do: "}, {f.items[i].reason, Style::kItalic}}, kBody, Align::kLeft, 0, w.left() + 32,
                  w.width() - 32);
  }
  w.move_down(4);
  std::vector<Span> help{{"Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ "}};
  if (f.contact.empty())
    help.push_back({"Bộ phận tiếp nhận và trả kết quả để được hướng dẫn."});
  else
    help.insert(help.end(), {{f.contact, Style::kBold}, {" để được hướng dẫn."}});
  w.paragraph(help, kBody, Align::kLeft, 20);
  signatures(w, {{titled(f.officer, "NGƯỜI HƯỚNG DẪN"), kSignHint}});
  return w.save();
}

std::vector<unsigned char> render(const RefusalSlip& f, const RenderOptions& options) {
  require_common(f.header, f.applicant, f.procedure_name, "03");
  require(!f.reasons.empty(), "03", "no reasons: a refusal must say why");
  pdf::Writer w(options, false);
  draw_header(w, f.header);
  draw_title(w, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
             f.dossier_code.empty() ? std::string() : "Mã hồ sơ: " + f.dossier_code);
  applicant_lines(w, f.applicant, "Bộ phận tiếp nhận và trả kết quả tiếp nhận hồ sơ của: ");
  field(w, "Nội dung yêu cầu giải quyết: ", f.procedure_name, Style::kBold);
  field(w, "Thời gian tiếp nhận: ", format_form_time(f.received_at) + ".");
  w.move_down(4);
  w.paragraph({{"Qua xem xét, Bộ phận tiếp nhận và trả kết quả thông báo không tiếp nhận, giải quyết hồ sơ này "
                "với lý do cụ thể như sau:"}},
              kBody, Align::kLeft, 20);
  for (std::size_t i = 0; i < f.reasons.size(); ++i)
    w.paragraph({{std::to_string(i + 1) + ". " + f.reasons[i]}}, kBody, Align::kLeft, 20);
  w.move_down(4);
  w.paragraph({{"Xin thông báo để Ông/Bà được biết và thực hiện./."}}, kBody, Align::kLeft, 20);
  signatures(w, {{titled(f.officer, "NGƯỜI TIẾP NHẬN HỒ SƠ"), kSignHint}});
  return w.save();
}

std::vector<unsigned char> render(const ApologyLetter& f, const RenderOptions& options) {
  require_common(f.header, f.applicant, f.procedure_name, "04");
  require(!f.dossier_code.empty(), "04", "dossier_code is empty");
  require(!f.reason.empty(), "04", "reason is empty: the letter must say why the result is late");
  require(f.new_due_at > f.original_due_at, "04", "new_due_at is not after original_due_at");
  pdf::Writer w(options, false);
  draw_header(w, f.header);
  draw_title(w, "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT", "Mã hồ sơ: " + f.dossier_code);
  w.paragraph({{"Kính gửi: Ông/Bà "}, {f.applicant.name, Style::kBold}}, kBody, Align::kCenter);
  w.move_down(6);
  w.paragraph({{"Ngày " + slash_date(local_date(f.received_at)) + ", " + f.header.agency_name +
                " tiếp nhận giải quyết hồ sơ của Ông/Bà "},
               {f.applicant.name, Style::kBold},
               {", nội dung yêu cầu giải quyết: "},
               {f.procedure_name, Style::kBold},
               {"; mã hồ sơ: "},
               {f.dossier_code, Style::kBold},
               {"."}},
              kBody, Align::kLeft, 20);
  w.paragraph({{"Thời gian hẹn trả kết quả giải quyết hồ sơ: " + format_form_time(f.original_due_at) + "."}}, kBody,
              Align::kLeft, 20);
  w.paragraph({{"Tuy nhiên đến nay, hồ sơ của Ông/Bà chưa được giải quyết xong."}}, kBody, Align::kLeft, 20);
  w.paragraph({{"Lý do: "}, {f.reason, Style::kItalic}}, kBody, Align::kLeft, 20);
  w.paragraph({{"Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của Ông/Bà. " + f.header.agency_name +
                " xin lỗi Ông/Bà và hẹn lại thời gian trả kết quả giải quyết hồ sơ vào: "},
               {format_form_time(f.new_due_at), Style::kBold},
               {"."}},
              kBody, Align::kLeft, 20);
  w.paragraph({{"Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./."}}, kBody, Align::kLeft, 20);
  signatures(w, {{titled(f.head, "THỦ TRƯỞNG CƠ QUAN"), kSealHint}}, true);
  return w.save();
}

std::vector<unsigned char> render(const StopNotice& f, const RenderOptions& options) {
  require_common(f.header, f.applicant, f.procedure_name, "05");
  require(!f.dossier_code.empty(), "05", "dossier_code is empty");
  require(!f.reason.empty(), "05", "reason is empty: the notice must say why processing stops");
  pdf::Writer w(options, false);
  draw_header(w, f.header);
  draw_title(w, "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "Mã hồ sơ: " + f.dossier_code);
  w.paragraph({{"Kính gửi: Ông/Bà "}, {f.applicant.name, Style::kBold}}, kBody, Align::kCenter);
  w.move_down(6);
  w.paragraph(
      {{"Ngày " + slash_date(local_date(f.received_at)) + ", " + f.header.agency_name + " tiếp nhận hồ sơ của Ông/Bà "},
       {f.applicant.name, Style::kBold},
       {", nội dung yêu cầu giải quyết: "},
       {f.procedure_name, Style::kBold},
       {"; mã hồ sơ: "},
       {f.dossier_code, Style::kBold},
       {"."}},
      kBody, Align::kLeft, 20);
  w.paragraph({{f.header.agency_name + " thông báo dừng giải quyết hồ sơ nêu trên kể từ "},
               {format_form_time(f.stopped_at), Style::kBold},
               {"."}},
              kBody, Align::kLeft, 20);
  w.paragraph({{"Lý do: "}, {f.reason, Style::kItalic}}, kBody, Align::kLeft, 20);
  w.paragraph({{"Xin thông báo để Ông/Bà được biết./."}}, kBody, Align::kLeft, 20);
  signatures(w, {{titled(f.head, "THỦ TRƯỞNG CƠ QUAN"), kSealHint}}, true);
  return w.save();
}

std::vector<unsigned char> render(const ControlSlip& f, const RenderOptions& options) {
  require_common(f.header, f.applicant, f.procedure_name, "06");
  require(!f.dossier_code.empty(), "06", "dossier_code is empty");
  pdf::Writer w(options, false);
  draw_header(w, f.header);
  draw_title(w, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Mã hồ sơ: " + f.dossier_code);
  applicant_lines(w, f.applicant, "Người nộp hồ sơ: ");
  field(w, "Nội dung yêu cầu giải quyết: ", f.procedure_name, Style::kBold);
  field(w, "Thời gian tiếp nhận: ", format_form_time(f.received_at) + ".");
  field(w, "Thời gian hẹn trả kết quả: ", format_form_time(f.due_at) + ".");
  w.move_down(6);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < f.hand_overs.size(); ++i) {
    const auto& h = f.hand_overs[i];
    std::string result;
    if (h.finished_at) result = std::string(timeliness_label(timeliness(*h.finished_at, h.due_at)));
    if (!h.note.empty()) result += (result.empty() ? "" : "\n") + h.note;
    rows.push_back({std::to_string(i + 1), h.step, h.from, h.to, cell_time(h.handed_at), cell_time(h.due_at),
                    h.finished_at ? cell_time(*h.finished_at) : std::string(), result});
  }
  const float tw = w.width();
  const float time_w = 74;
  const float fixed = 22 + 3 * time_w + 58;
  const float rest = (tw - fixed) / 3;
  w.table({{"TT", 22, Align::kCenter},
           {"Bước xử lý", rest},
           {"Bên giao", rest},
           {"Bên nhận", rest},
           {"Thời gian giao, nhận", time_w},
           {"Hạn xử lý", time_w},
           {"Thời gian hoàn thành", time_w},
           {"Kết quả (trước / đúng / quá hạn)", 58, Align::kCenter}},
          rows, kTable);
  w.move_down(6);
  w.paragraph({{"Người giao và người nhận ký xác nhận trên bản giấy khi giao, nhận hồ sơ.", Style::kItalic}}, kSmall);
  w.number_pages();
  return w.save();
}

std::vector<unsigned char> render(const DossierRegister& f, const RenderOptions& options) {
  require(!f.header.agency_name.empty(), "07", "header.agency_name is empty");
  require(!f.header.place.empty(), "07", "header.place is empty");
  require(f.header.issued_at != TimePoint{}, "07", "header.issued_at is not set");
  require(f.period_from.ok() && f.period_to.ok() && f.period_from <= f.period_to, "07",
          "the period is not a valid date range");
  pdf::Writer w(options, true);
  draw_header(w, f.header);
  draw_title(w, "SỔ THEO DÕI HỒ SƠ", "Từ ngày " + slash_date(f.period_from) + " đến ngày " + slash_date(f.period_to));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < f.entries.size(); ++i) {
    const auto& e = f.entries[i];
    rows.push_back({std::to_string(i + 1), e.dossier_code, e.applicant_name, e.procedure_name, cell_time(e.received_at),
                    cell_time(e.due_at), e.finished_at ? cell_time(*e.finished_at) : std::string(), e.status});
  }
  if (rows.empty()) rows.push_back({"", "(không có hồ sơ trong kỳ)", "", "", "", "", "", ""});
  const float tw = w.width();
  const float time_w = 82;
  const float fixed = 28 + 120 + 3 * time_w + 90;
  const float rest = tw - fixed;
  w.table({{"TT", 28, Align::kCenter},
           {"Mã hồ sơ", 120},
           {"Người nộp hồ sơ", rest * 0.4f},
           {"Thủ tục hành chính", rest * 0.6f},
           {"Thời gian tiếp nhận", time_w},
           {"Thời gian hẹn trả", time_w},
           {"Thời gian hoàn thành", time_w},
           {"Trạng thái", 90}},
          rows, kTable);
  w.move_down(4);
  w.paragraph({{"Tổng số: " + std::to_string(f.entries.size()) + " hồ sơ.", Style::kBold}}, kSmall);
  w.number_pages();
  return w.save();
}

std::vector<unsigned char> sign_form(std::span<const unsigned char> pdf, signing::Signer& seal) {
  static constexpr unsigned char kMagic[] = {'%', 'P', 'D', 'F', '-'};
  if (pdf.size() < sizeof kMagic || !std::equal(std::begin(kMagic), std::end(kMagic), pdf.begin()))
    throw FormError("sign_form: the content is not a PDF (it does not start with %PDF-)");
  return signing::sign_cades(pdf, seal);
}

}  // namespace lgsp::onestop
