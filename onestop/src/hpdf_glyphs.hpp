// Works around libharu 2.3.0: composite TrueType glyphs embedded one level deep, an invalid ToUnicode CMap.
#pragma once

#include <hpdf.h>

#include <filesystem>

namespace lgsp::onestop::pdf {

// libharu subsets an embedded TrueType font to the glyphs used, adding the components of a used composite glyph
// but not the components of those components. DejaVu (and most fonts) build Vietnamese letters with two marks
// (ấ, ậ, ệ, ộ, ...) as composites of composites, so without this the stacked mark silently disappears from the
// page while text extraction still reads the right letter. Marks the whole component closure of every used
// glyph of `font`, loaded from `ttf`; call it after the last text is drawn and before the document is saved.
// Throws FormError when the font is not a TrueType font or its glyph table is malformed.
void embed_composite_components(HPDF_Font font, const std::filesystem::path& ttf);

// libharu 2.3.0 gives a font loaded with the UTF-8 encoder an encoding CMap as its ToUnicode map, which
// pdftotext and other readers warn about. Replaces it with the identity map from the shown UTF-16 codes to
// Unicode; call it before the document is saved. Throws FormError when `font` is not such a font.
void write_identity_to_unicode(HPDF_Font font);

// libharu 2.3.0 reads a font's table directory without bounds checks and crashes on a file that is not a
// TrueType font. Checks the sfnt header and that every table lies inside the file; throws FormError otherwise.
void check_truetype_file(const std::filesystem::path& ttf);

}  // namespace lgsp::onestop::pdf
