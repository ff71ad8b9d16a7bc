#include "hpdf_glyphs.hpp"

#include "lgsp/onestop/forms.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
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

void write_identity_to_unicode(HPDF_Font font) {
  auto* font_attr = static_cast<HPDF_FontAttr>(font->attr);
  if (!font_attr || font_attr->type != HPDF_FONT_TYPE0_TT) throw FormError("PDF: not a Unicode TrueType font");
  HPDF_Dict cmap = static_cast<HPDF_Dict>(HPDF_Dict_GetItem(font, "ToUnicode", HPDF_OCLASS_DICT));
  if (!cmap || !cmap->stream) throw FormError("PDF: the font has no ToUnicode stream to rewrite");
  // libharu writes its encoding CMap (begincidrange, every code to CID 0) as the ToUnicode map, which PDF
  // readers reject ("Invalid 'begincidrange' operator in ToUnicode CMap"). With the UTF-8 encoder the codes
  // shown are the characters' UTF-16 code units, so the right map is the identity: bfrange per high byte,
  // at most 100 ranges per block (PDF 32000-1 9.10.3), leaving out the surrogate halves.
  std::string text =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
      "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
  std::vector<unsigned> high;
  for (unsigned h = 0; h < 256; ++h)
    if (h < 0xD8 || h > 0xDF) high.push_back(h);
  for (std::size_t i = 0; i < high.size(); i += 100) {
    const std::size_t n = std::min<std::size_t>(100, high.size() - i);
    text += std::to_string(n) + " beginbfrange\n";
    for (std::size_t j = i; j < i + n; ++j) {
      char line[32];
      std::snprintf(line, sizeof line, "<%02X00> <%02XFF> <%02X00>\n", high[j], high[j], high[j]);
      text += line;
    }
    text += "endbfrange\n";
  }
  text += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  HPDF_MemStream_FreeData(cmap->stream);
  if (HPDF_Stream_WriteStr(cmap->stream, text.c_str()) != HPDF_OK) throw FormError("PDF: cannot write ToUnicode");
  // Keys of an encoding CMap, which a ToUnicode stream does not have.
  for (const char* key : {"Type", "CMapName", "CIDSystemInfo", "WMode"}) HPDF_Dict_RemoveElement(cmap, key);
}

}  // namespace lgsp::onestop::pdf
