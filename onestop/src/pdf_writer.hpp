// A small layout layer over libharu for the one-stop forms: A4 pages, a cursor moving down the page, wrapped
// paragraphs of mixed regular/bold/italic text, ruled tables whose header row repeats on each page, QR codes.
#pragma once

#include "lgsp/onestop/forms.hpp"

#include <hpdf.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lgsp::onestop::pdf {

enum class Style { kRegular, kBold, kItalic };
enum class Align { kLeft, kCenter, kRight };

struct Span {
  std::string text;
  Style style = Style::kRegular;
};

struct Column {
  std::string title;
  float width;  // points
  Align align = Align::kLeft;
};

class Writer {
 public:
  Writer(const RenderOptions& options, bool landscape);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Page geometry (points; PDF origin bottom-left).
  float left() const { return left_; }
  float right() const { return right_; }
  float width() const { return right_ - left_; }
  float y() const { return y_; }
  void move_down(float dy);
  void set_y(float y) { y_ = y; }
  float top() const { return top_; }
  float bottom() const { return bottom_; }
  void new_page();
  // Starts a new page unless `height` more points fit above the bottom margin.
  void ensure_room(float height);

  // Wrapped text between x and x + w, from the cursor down; the cursor ends below the last line.
  void paragraph(const std::vector<Span>& spans, float size, Align align = Align::kLeft, float indent = 0, float x = -1,
                 float w = -1);
  // Height the paragraph would take (without drawing).
  float paragraph_height(const std::vector<Span>& spans, float size, float w, float indent = 0);
  void line(float x1, float y1, float x2, float y2, float width = 0.6f);
  // A table from the cursor down; rows split over pages with the header row drawn again on each page.
  void table(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows, float size);
  // A QR code (libqrencode, error correction M) of `size` x `size` points with its top-left corner at (x, top).
  void qr(const std::string& text, float x, float top, float size);
  // "Trang i/n" at the bottom of every page; call once, after the last page is complete.
  void number_pages();

  float text_width(const std::string& text, Style style, float size);
  std::vector<unsigned char> save();

 private:
  struct Word {
    std::string text;
    Style style;
    float width;
    bool joined = false;  // no space before: continues the previous word in another style ("mã **X**.")
  };
  using Line = std::vector<Word>;
  std::vector<Line> wrap(const std::vector<Span>& spans, float size, float w, float indent);
  void draw_line(const Line& line, float x, float baseline, float w, float size, Align align);
  void draw_text(const std::string& text, float x, float baseline, Style style, float size);
  void table_header(const std::vector<Column>& columns, float size);
  HPDF_Font font(Style style) const;
  void check(HPDF_STATUS status, const char* what);
  void check_handle(const void* handle, const char* what);

  struct DocDeleter {
    void operator()(HPDF_Doc d) const { HPDF_Free(d); }
  };
  struct ErrorState {
    HPDF_STATUS error = HPDF_OK;
    HPDF_STATUS detail = 0;
  };
  std::unique_ptr<ErrorState> error_;  // stable address for libharu's handler
  std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, DocDeleter> doc_;
  HPDF_Font regular_ = nullptr;
  HPDF_Font bold_ = nullptr;
  HPDF_Font italic_ = nullptr;
  std::array<std::filesystem::path, 3> font_files_;
  HPDF_Page page_ = nullptr;
  std::vector<HPDF_Page> pages_;
  bool landscape_;
  float page_width_ = 0;
  float page_height_ = 0;
  float left_ = 0;
  float right_ = 0;
  float top_ = 0;
  float bottom_ = 0;
  float y_ = 0;
};

}  // namespace lgsp::onestop::pdf
