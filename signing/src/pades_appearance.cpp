// The visible signature (Decree 30/2020/ND-CP style): on the left the signer's image with the agency's red seal
// over about a third of it, on the right the signer's name, title, agency and the signing time, in an embedded
// TrueType font (Identity-H: Vietnamese text shows the same in every reader).
#include "lgsp/signing/certificate.hpp"
#include "pades_internal.hpp"

#include <algorithm>
#include <ctime>

namespace lgsp::signing::pades_detail {

using namespace PoDoFo;

namespace {

std::string name_entry(X509* cert, int nid) {
  const X509_NAME* name = X509_get_subject_name(cert);
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return {};
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

// Vietnam time (UTC+7, no daylight saving), as signed documents show it.
std::string vietnam_time(Clock::time_point when) {
  std::time_t t = Clock::to_time_t(when) + 7 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%d/%m/%Y %H:%M:%S +07:00", &tm);
  return buf;
}

PdfString utf8(const std::string& s) { return PdfString(reinterpret_cast<const pdf_utf8*>(s.c_str())); }

// Draws `data` (PNG/JPEG) fitted into the box, keeping its aspect ratio.
void draw_image(PdfMemDocument& doc, PdfPainter& painter, const std::vector<unsigned char>& data, double x, double y,
                double w, double h) {
  PdfImage image(&doc);
  image.LoadFromData(data.data(), static_cast<pdf_long>(data.size()));
  double scale = std::min(w / image.GetWidth(), h / image.GetHeight());
  double dw = image.GetWidth() * scale, dh = image.GetHeight() * scale;
  painter.DrawImage(x + (w - dw) / 2, y + (h - dh) / 2, &image, scale, scale);
}

}  // namespace

void draw_appearance(PdfMemDocument& doc, PdfSignatureField& field, const Appearance& a, X509* signer,
                     Clock::time_point when) {
  const double w = a.box->width, h = a.box->height;
  std::vector<std::string> lines;
  lines.push_back(a.signer_name.empty() ? name_entry(signer, NID_commonName) : a.signer_name);
  if (!a.title.empty()) lines.push_back(a.title);
  std::string agency = a.agency.empty() ? name_entry(signer, NID_organizationName) : a.agency;
  if (!agency.empty()) lines.push_back(agency);
  lines.push_back("Thời gian ký: " + vietnam_time(when));
  if (!a.reason.empty()) lines.push_back("Lý do: " + a.reason);
  if (!a.location.empty()) lines.push_back("Nơi ký: " + a.location);

  PdfXObject xobject(PdfRect(0, 0, w, h), &doc);
  PdfPainter painter;
  try {
    painter.SetPage(&xobject);
    const bool pictures = !a.image.empty() || !a.seal_image.empty();
    const double text_x = pictures ? w * 0.45 : 2;
    if (!a.image.empty()) draw_image(doc, painter, a.image, w * 0.1, 2, w * 0.33, h - 4);
    // The seal over the left third of the signature image: the seal's right edge at about a third into it.
    if (!a.seal_image.empty()) draw_image(doc, painter, a.seal_image, 0, 0, std::min(w * 0.32, h), h);

    PdfFont* font =
        doc.CreateFont("DejaVu Sans", false, false, false, PdfEncodingFactory::GlobalIdentityEncodingInstance(),
                       PdfFontCache::eFontCreationFlags_None, true, a.font.c_str());
    if (!font) throw SigningError(errors::kConfiguration, "cannot load the font " + a.font.string());
    // Fit the lines into the box: height by line count, width by the longest line (DejaVu Sans averages about
    // 0.6 em per letter).
    std::size_t longest = 1;
    for (const auto& line : lines)
      longest =
          std::max<std::size_t>(longest, static_cast<std::size_t>(std::count_if(line.begin(), line.end(), [](char c) {
                                  return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // UTF-8 lead bytes: letters
                                })));
    double size = std::min(h / (static_cast<double>(lines.size()) * 1.25 + 0.5),
                           (w - text_x - 2) / (0.6 * static_cast<double>(longest)));
    size = std::clamp(size, 3.0, 10.0);
    font->SetFontSize(static_cast<float>(size));
    painter.SetFont(font);
    painter.SetColor(0.8, 0.0, 0.0);  // signature text in red, as on stamped paper
    double y = h - size * 1.2;
    for (const auto& line : lines) {
      painter.DrawText(text_x, y, utf8(line));
      y -= size * 1.25;
    }
    painter.FinishPage();
  } catch (const PdfError& e) {
    throw SigningError(errors::kMalformed, "drawing the visible signature (image or font): " + to_string(e));
  }
  field.SetAppearanceStream(&xobject);
  if (PdfAnnotation* widget = field.GetWidgetAnnotation()) widget->SetFlags(ePdfAnnotationFlags_Print);
}

}  // namespace lgsp::signing::pades_detail
