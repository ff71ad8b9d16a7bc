// What the PAdES source files share: PoDoFo loading with LGSP error codes, the time-stamp client, the DSS update
// and the visible appearance.
#pragma once

#include "lgsp/signing/pades.hpp"

#include <podofo/podofo.h>

#include <span>
#include <string>
#include <vector>

namespace lgsp::signing::pades_detail {

// Loads `pdf` (for an incremental update when `for_update`); refuses non-PDF, damaged and encrypted input with
// their codes.
void load_pdf(PoDoFo::PdfMemDocument& doc, std::span<const unsigned char> pdf, bool for_update);

// RFC 3161 time-stamp token (DER ContentInfo) over the SHA-256 `imprint`, from `url` (plain http), checked to
// answer our request (status, imprint, nonce). Throws SigningError(kTimestamp).
std::vector<unsigned char> request_timestamp(const std::string& url, const Sha256Digest& imprint,
                                             std::chrono::seconds timeout);

// The signed PDF plus an incremental update with a /DSS dictionary (ETSI EN 319 142-1 5.4): the chain, the OCSP
// responses for each certificate that names a responder, and options.crls.
std::vector<unsigned char> add_dss(std::vector<unsigned char> pdf, X509* signer, const std::vector<X509Ptr>& chain,
                                   const PadesOptions& options);

// Draws the appearance stream of a visible signature into `field` (box, signer text, images).
void draw_appearance(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfSignatureField& field, const Appearance& appearance,
                     X509* signer, Clock::time_point when);

std::string to_string(const PoDoFo::PdfError& e);

}  // namespace lgsp::signing::pades_detail
