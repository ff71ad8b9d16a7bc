#include "hpdf_glyphs.hpp"

#include "lgsp/onestop/forms.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <vector>

// hpdf.h without HPDF_SHARED declares libharu's object structures (hpdf_font.h, hpdf_fontdef.h): the glyph flags
// live there and nowhere in the public API.
static_assert(sizeof(HPDF_TTFontDefAttr_Rec) > 0, "libharu's internal structures are needed (no HPDF_SHARED)");

namespace lgsp::onestop::pdf {
namespace {

std::vector<unsigned char> read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<unsigned char> data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad() || (!in.eof() && in.fail())) throw FormError("PDF: cannot read the font file " + file.string());
  return data;
}

std::uint32_t be32(const std::vector<unsigned char>& d, std::size_t at) {
  return std::uint32_t{d[at]} << 24 | std::uint32_t{d[at + 1]} << 16 | std::uint32_t{d[at + 2]} << 8 | d[at + 3];
}

}  // namespace

void check_truetype_file(const std::filesystem::path& ttf) {
  const auto d = read_all(ttf);
  auto bad = [&](const std::string& why) {
    return FormError("PDF: " + ttf.string() + " is not a TrueType font (.ttf): " + why);
  };
  if (d.size() < 12) throw bad("too short");
  const std::uint32_t version = be32(d, 0);
  if (version == 0x4F54544F) throw bad("it is an OpenType/CFF font, which libharu cannot embed");
  if (version != 0x00010000 && version != 0x74727565) throw bad("no sfnt header");
  const std::size_t tables = std::size_t{d[4]} << 8 | d[5];
  if (tables == 0 || 12 + 16 * tables > d.size()) throw bad("bad table directory");
  for (std::size_t i = 0; i < tables; ++i) {
    const std::size_t entry = 12 + 16 * i;
    const std::uint64_t offset = be32(d, entry + 8), length = be32(d, entry + 12);
    if (offset + length > d.size()) throw bad("a table lies outside the file");
  }
}

void embed_composite_components(HPDF_Font font, const std::filesystem::path& ttf) {
  auto* font_attr = static_cast<HPDF_FontAttr>(font->attr);
  HPDF_FontDef def = font_attr ? font_attr->fontdef : nullptr;
  if (!def || def->type != HPDF_FONTDEF_TYPE_TRUETYPE)
    throw FormError("PDF: " + ttf.string() + " is not loaded as a TrueType font");
  auto* tt = static_cast<HPDF_TTFontDefAttr>(def->attr);
  if (!tt->embedding) return;

  const auto data = read_all(ttf);
  auto u16 = [&](std::size_t at) -> std::uint16_t {
    if (at + 2 > data.size()) throw FormError("PDF: malformed glyph table in " + ttf.string());
    return static_cast<std::uint16_t>(data[at] << 8 | data[at + 1]);
  };
  const unsigned n = tt->num_glyphs;
  const unsigned scale = tt->header.index_to_loc_format == 0 ? 2 : 1;  // short loca offsets count words

  std::vector<std::uint16_t> todo;
  for (unsigned g = 0; g < n; ++g)
    if (tt->glyph_tbl.flgs[g]) todo.push_back(static_cast<std::uint16_t>(g));
  while (!todo.empty()) {
    const unsigned g = todo.back();
    todo.pop_back();
    if (tt->glyph_tbl.offsets[g + 1] == tt->glyph_tbl.offsets[g]) continue;  // empty glyph (space)
    std::size_t at = tt->glyph_tbl.base_offset + std::size_t{tt->glyph_tbl.offsets[g]} * scale;
    if (static_cast<std::int16_t>(u16(at)) >= 0) continue;  // simple glyph: outlines, no components
    at += 10;                                               // numberOfContours, xMin, yMin, xMax, yMax
    std::uint16_t flags = 0;
    do {
      flags = u16(at);
      const std::uint16_t component = u16(at + 2);
      at += 4 + ((flags & 0x0001) ? 4 : 2);  // ARG_1_AND_2_ARE_WORDS
      if (flags & 0x0008)                    // WE_HAVE_A_SCALE
        at += 2;
      else if (flags & 0x0040)  // WE_HAVE_AN_X_AND_Y_SCALE
        at += 4;
      else if (flags & 0x0080)  // WE_HAVE_A_TWO_BY_TWO
        at += 8;
      if (component < n && !tt->glyph_tbl.flgs[component]) {
        tt->glyph_tbl.flgs[component] = 1;
        todo.push_back(component);
      }
    } while (flags & 0x0020);  // MORE_COMPONENTS
  }
}

}  // namespace lgsp::onestop::pdf
