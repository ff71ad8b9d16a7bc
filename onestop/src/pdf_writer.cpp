#include "pdf_writer.hpp"

#include "hpdf_glyphs.hpp"

#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace lgsp::onestop::pdf {
namespace {

constexpr float kMm = 72.0f / 25.4f;
constexpr float kLeading = 1.35f;
constexpr float kCellPad = 3.0f;

struct QrDeleter {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

std::string hex(unsigned long v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%04lX", v);
  return buf;
}

// Splits UTF-8 text into code points (as byte strings), for breaking a word longer than a line.
std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = 1;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0)
      n = 4;
    else if (c >= 0xE0)
      n = 3;
    else if (c >= 0xC0)
      n = 2;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

Writer::Writer(const RenderOptions& options, bool landscape) : landscape_(landscape) {
  // libharu reports errors through a callback as well as through return codes. Throwing from the callback
  // would unwind through C frames built without unwind tables, so the callback only records the first error;
  // check() turns it (or a bad return code) into a FormError at the call site, with libharu's error number.
  error_ = std::make_unique<ErrorState>();
  doc_.reset(HPDF_New(
      [](HPDF_STATUS e, HPDF_STATUS d, void* u) {
        auto* s = static_cast<ErrorState*>(u);
        if (s->error == HPDF_OK) {
          s->error = e;
          s->detail = d;
        }
      },
      error_.get()));
  if (!doc_) throw FormError("PDF: HPDF_New failed (out of memory)");
  check(HPDF_SetCompressionMode(doc_.get(), options.compress ? HPDF_COMP_ALL : HPDF_COMP_NONE),
        "HPDF_SetCompressionMode");
  check(HPDF_UseUTFEncodings(doc_.get()), "HPDF_UseUTFEncodings");
  check(HPDF_SetCurrentEncoder(doc_.get(), "UTF-8"), "HPDF_SetCurrentEncoder(UTF-8)");
  check(HPDF_SetInfoAttr(doc_.get(), HPDF_INFO_CREATOR, "LGSP onestop"), "HPDF_SetInfoAttr");

  auto load = [&](const std::filesystem::path& file, const char* role) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      throw FormError(std::string("PDF: the ") + role + " font file " + file.string() +
                      " does not exist (install fonts-dejavu-core, or set RenderOptions::" + role + "_font)");
    check_truetype_file(file);
    const char* name = HPDF_LoadTTFontFromFile(doc_.get(), file.c_str(), HPDF_TRUE);
    check_handle(name, ("loading the TrueType font " + file.string()).c_str());
    HPDF_Font f = HPDF_GetFont(doc_.get(), name, "UTF-8");
    check_handle(f, ("HPDF_GetFont for " + file.string()).c_str());
    return f;
  };
  regular_ = load(options.regular_font, "regular");
  bold_ = load(options.bold_font, "bold");
  italic_ = load(options.italic_font, "italic");
  font_files_ = {options.regular_font, options.bold_font, options.italic_font};

  page_width_ = landscape ? 297 * kMm : 210 * kMm;
  page_height_ = landscape ? 210 * kMm : 297 * kMm;
  // Decree 30/2020 margins: top/bottom 20 mm, left 30 mm, right 15 mm; the landscape register (07) needs the
  // width for its table: left 20 mm, the others 15 mm.
  left_ = landscape ? 20 * kMm : 30 * kMm;
  right_ = page_width_ - 15 * kMm;
  top_ = page_height_ - (landscape ? 15 : 20) * kMm;
  bottom_ = (landscape ? 15 : 20) * kMm;
  new_page();
}

Writer::~Writer() = default;

void Writer::check(HPDF_STATUS status, const char* what) {
  if (status == HPDF_OK && error_->error == HPDF_OK) return;
  auto error = error_->error != HPDF_OK ? error_->error : status;
  throw FormError(std::string("PDF: ") + what + " failed: libharu error " + hex(error) + " (detail " +
                  std::to_string(error_->detail) + ")");
}

void Writer::check_handle(const void* handle, const char* what) {
  if (handle != nullptr && error_->error == HPDF_OK) return;
  throw FormError(std::string("PDF: ") + what + " failed: libharu error " +
                  hex(error_->error != HPDF_OK ? error_->error : HPDF_GetError(doc_.get())) + " (detail " +
                  std::to_string(error_->detail) + ")");
}

HPDF_Font Writer::font(Style style) const {
  switch (style) {
    case Style::kBold:
      return bold_;
    case Style::kItalic:
      return italic_;
    case Style::kRegular:
      break;
  }
  return regular_;
}

void Writer::new_page() {
  page_ = HPDF_AddPage(doc_.get());
  check_handle(page_, "HPDF_AddPage");
  check(HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, landscape_ ? HPDF_PAGE_LANDSCAPE : HPDF_PAGE_PORTRAIT),
        "HPDF_Page_SetSize");
  pages_.push_back(page_);
  y_ = top_;
}

void Writer::move_down(float dy) { y_ -= dy; }

void Writer::ensure_room(float height) {
  if (y_ - height < bottom_) new_page();
}

float Writer::text_width(const std::string& text, Style style, float size) {
  if (text.empty()) return 0;
  HPDF_TextWidth tw = HPDF_Font_TextWidth(font(style), reinterpret_cast<const HPDF_BYTE*>(text.data()),
                                          static_cast<HPDF_UINT>(text.size()));
  check(HPDF_OK, "HPDF_Font_TextWidth");
  return static_cast<float>(tw.width) * size / 1000.0f;
}

std::vector<Writer::Line> Writer::wrap(const std::vector<Span>& spans, float size, float w, float indent) {
  std::vector<Line> lines(1);
  float used = indent;
  auto space = [&](Style s) { return text_width(" ", s, size); };
  auto add = [&](Word word) {
    Line& cur = lines.back();
    if (cur.empty()) word.joined = false;
    if (word.joined && cur.size() > 1 && used + word.width > w) {
      // Punctuation glued to the last word that does not fit: both go to the next line.
      Word last = std::move(cur.back());
      cur.pop_back();
      last.joined = false;
      lines.emplace_back();
      used = last.width;
      lines.back().push_back(std::move(last));
    }
    Line& line = lines.back();
    float extra = line.empty() || word.joined ? 0 : space(line.back().style);
    if (!line.empty() && !word.joined && used + extra + word.width > w) {
      lines.emplace_back();
      used = 0;
      extra = 0;
    }
    used += extra + word.width;
    lines.back().push_back(std::move(word));
  };
  bool after_blank = true;  // the text so far ends with a blank (or nothing)
  for (const auto& span : spans) {
    std::size_t i = 0;
    const std::string& t = span.text;
    bool glue = !after_blank;
    while (i < t.size()) {
      if (t[i] == '\n') {
        lines.emplace_back();
        used = 0;
        ++i;
        glue = false;
        continue;
      }
      if (t[i] == ' ') {
        ++i;
        glue = false;
        continue;
      }
      std::size_t j = t.find_first_of(" \n", i);
      if (j == std::string::npos) j = t.size();
      std::string text = t.substr(i, j - i);
      i = j;
      float tw = text_width(text, span.style, size);
      if (tw <= w) {
        add({text, span.style, tw, glue});
        glue = false;
        continue;
      }
      glue = false;
      // A word longer than the line (a URL, a long code): break it between code points.
      std::string piece;
      for (const auto& cp : code_points(text)) {
        if (!piece.empty() && text_width(piece + cp, span.style, size) > w) {
          add({piece, span.style, text_width(piece, span.style, size)});
          piece.clear();
        }
        piece += cp;
      }
      if (!piece.empty()) add({piece, span.style, text_width(piece, span.style, size)});
    }
    if (!t.empty()) after_blank = t.back() == ' ' || t.back() == '\n';
  }
  return lines;
}

void Writer::draw_text(const std::string& text, float x, float baseline, Style style, float size) {
  check(HPDF_Page_BeginText(page_), "HPDF_Page_BeginText");
  check(HPDF_Page_SetFontAndSize(page_, font(style), size), "HPDF_Page_SetFontAndSize");
  check(HPDF_Page_TextOut(page_, x, baseline, text.c_str()), "HPDF_Page_TextOut");
  check(HPDF_Page_EndText(page_), "HPDF_Page_EndText");
}

void Writer::draw_line(const Line& line, float x, float baseline, float w, float size, Align align) {
  auto gap = [&](std::size_t i) { return i == 0 || line[i].joined ? 0 : text_width(" ", line[i - 1].style, size); };
  float total = 0;
  for (std::size_t i = 0; i < line.size(); ++i) total += line[i].width + gap(i);
  float cx = x;
  if (align == Align::kCenter) cx = x + (w - total) / 2;
  if (align == Align::kRight) cx = x + w - total;
  // Consecutive words of one style go out as one string, so that text extraction sees ordinary spaces.
  for (std::size_t i = 0; i < line.size();) {
    std::string run = line[i].text;
    float run_width = line[i].width;
    std::size_t j = i + 1;
    for (; j < line.size() && line[j].style == line[i].style; ++j) {
      if (!line[j].joined) run += ' ';
      run += line[j].text;
      run_width += gap(j) + line[j].width;
    }
    draw_text(run, cx, baseline, line[i].style, size);
    cx += run_width;
    if (j < line.size()) cx += gap(j);
    i = j;
  }
}

void Writer::paragraph(const std::vector<Span>& spans, float size, Align align, float indent, float x, float w) {
  if (x < 0) x = left_;
  if (w < 0) w = right_ - x;
  auto lines = wrap(spans, size, w, indent);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ensure_room(size * kLeading);
    float lx = x + (i == 0 ? indent : 0);
    float lw = w - (i == 0 ? indent : 0);
    draw_line(lines[i], lx, y_ - size, lw, size, align);
    y_ -= size * kLeading;
  }
}

float Writer::paragraph_height(const std::vector<Span>& spans, float size, float w, float indent) {
  return static_cast<float>(wrap(spans, size, w, indent).size()) * size * kLeading;
}

void Writer::line(float x1, float y1, float x2, float y2, float width) {
  check(HPDF_Page_SetLineWidth(page_, width), "HPDF_Page_SetLineWidth");
  check(HPDF_Page_MoveTo(page_, x1, y1), "HPDF_Page_MoveTo");
  check(HPDF_Page_LineTo(page_, x2, y2), "HPDF_Page_LineTo");
  check(HPDF_Page_Stroke(page_), "HPDF_Page_Stroke");
}

void Writer::table_header(const std::vector<Column>& columns, float size) {
  std::vector<std::vector<Line>> cells;
  std::size_t max_lines = 1;
  for (const auto& c : columns) {
    cells.push_back(wrap({{c.title, Style::kBold}}, size, c.width - 2 * kCellPad, 0));
    max_lines = std::max(max_lines, cells.back().size());
  }
  float h = static_cast<float>(max_lines) * size * kLeading + 2 * kCellPad;
  float x = left_;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    check(HPDF_Page_SetLineWidth(page_, 0.6f), "HPDF_Page_SetLineWidth");
    check(HPDF_Page_Rectangle(page_, x, y_ - h, columns[c].width, h), "HPDF_Page_Rectangle");
    check(HPDF_Page_Stroke(page_), "HPDF_Page_Stroke");
    float baseline = y_ - kCellPad - size;
    for (const auto& l : cells[c]) {
      draw_line(l, x + kCellPad, baseline, columns[c].width - 2 * kCellPad, size, Align::kCenter);
      baseline -= size * kLeading;
    }
    x += columns[c].width;
  }
  y_ -= h;
}

void Writer::table(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows, float size) {
  float header_h = 0;
  {
    std::size_t max_lines = 1;
    for (const auto& c : columns)
      max_lines = std::max(max_lines, wrap({{c.title, Style::kBold}}, size, c.width - 2 * kCellPad, 0).size());
    header_h = static_cast<float>(max_lines) * size * kLeading + 2 * kCellPad;
  }
  ensure_room(header_h + size * kLeading + 2 * kCellPad);
  table_header(columns, size);
  for (const auto& row : rows) {
    std::vector<std::vector<Line>> cells;
    std::size_t max_lines = 1;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string text = c < row.size() ? row[c] : std::string();
      cells.push_back(wrap({{text, Style::kRegular}}, size, columns[c].width - 2 * kCellPad, 0));
      max_lines = std::max(max_lines, cells.back().size());
    }
    float h = static_cast<float>(max_lines) * size * kLeading + 2 * kCellPad;
    if (y_ - h < bottom_) {
      new_page();
      table_header(columns, size);
    }
    float x = left_;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      check(HPDF_Page_SetLineWidth(page_, 0.6f), "HPDF_Page_SetLineWidth");
      check(HPDF_Page_Rectangle(page_, x, y_ - h, columns[c].width, h), "HPDF_Page_Rectangle");
      check(HPDF_Page_Stroke(page_), "HPDF_Page_Stroke");
      float baseline = y_ - kCellPad - size;
      for (const auto& l : cells[c]) {
        draw_line(l, x + kCellPad, baseline, columns[c].width - 2 * kCellPad, size, columns[c].align);
        baseline -= size * kLeading;
      }
      x += columns[c].width;
    }
    y_ -= h;
  }
}

void Writer::qr(const std::string& text, float x, float top, float size) {
  errno = 0;
  std::unique_ptr<QRcode, QrDeleter> code(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!code)
    throw FormError("QR: QRcode_encodeString failed for a " + std::to_string(text.size()) +
                    "-byte text: " + std::strerror(errno));
  const int n = code->width;
  const float module = size / static_cast<float>(n + 8);  // 4-module quiet zone on each side
  check(HPDF_Page_SetGrayFill(page_, 0), "HPDF_Page_SetGrayFill");
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) {
      if ((code->data[r * n + c] & 1) == 0) continue;
      float mx = x + (static_cast<float>(c) + 4) * module;
      float my = top - (static_cast<float>(r) + 5) * module;
      check(HPDF_Page_Rectangle(page_, mx, my, module, module), "HPDF_Page_Rectangle (QR)");
    }
  }
  check(HPDF_Page_Fill(page_), "HPDF_Page_Fill (QR)");
}

void Writer::number_pages() {
  const std::string total = std::to_string(pages_.size());
  HPDF_Page current = page_;
  for (std::size_t i = 0; i < pages_.size(); ++i) {
    page_ = pages_[i];
    const std::string label = "Trang " + std::to_string(i + 1) + "/" + total;
    float w = text_width(label, Style::kItalic, 8);
    draw_text(label, (left_ + right_ - w) / 2, bottom_ / 2, Style::kItalic, 8);
  }
  page_ = current;
}

std::vector<unsigned char> Writer::save() {
  embed_composite_components(regular_, font_files_[0]);
  embed_composite_components(bold_, font_files_[1]);
  embed_composite_components(italic_, font_files_[2]);
  for (HPDF_Font f : {regular_, bold_, italic_}) write_identity_to_unicode(f);
  check(HPDF_SaveToStream(doc_.get()), "HPDF_SaveToStream");
  HPDF_UINT32 size = HPDF_GetStreamSize(doc_.get());
  check(HPDF_OK, "HPDF_GetStreamSize");
  check(HPDF_ResetStream(doc_.get()), "HPDF_ResetStream");
  std::vector<unsigned char> out(size);
  HPDF_UINT32 done = 0;
  while (done < size) {
    HPDF_UINT32 chunk = size - done;
    HPDF_STATUS s = HPDF_ReadFromStream(doc_.get(), out.data() + done, &chunk);
    done += chunk;
    if (s == HPDF_STREAM_EOF) {  // the end of the stream is not an error
      if (error_->error == HPDF_STREAM_EOF) *error_ = ErrorState{};
      break;
    }
    check(s, "HPDF_ReadFromStream");
    if (chunk == 0) break;
  }
  if (done != size)
    throw FormError("PDF: read " + std::to_string(done) + " of " + std::to_string(size) + " bytes from libharu");
  return out;
}

}  // namespace lgsp::onestop::pdf
