// `lgsp token`, `lgsp sign`, `lgsp verify`: options and help here; the work in signing_*_command.cpp.
#include "cli.hpp"
#include "signing_cli.hpp"

#include <memory>

namespace lgsp::cli {
namespace {

void add_token_command(CLI::App& app, Runner& run) {
  auto* token = app.add_subcommand("token", "PKCS#11 tokens: list what is plugged in");
  token->require_subcommand(1);
  auto* list = token->add_subcommand("list", "One line per token: label, manufacturer, serial, its certificates");
  auto module = std::make_shared<std::optional<std::string>>();
  list->add_option("--module", *module, "PKCS#11 module [$LGSP_PKCS11_MODULE]")->type_name("PATH");
  list->footer(
      "Output: label<TAB>manufacturer<TAB>serial<TAB>certificate... where each certificate reads\n"
      "'key=<CKA_ID hex> subject=<RFC 2253, UTF-8> serial=<hex> not-after=<ISO 8601>'.");
  list->callback([&run, module] { run = [module] { return run_token_list(*module); }; });
}

void add_sign_command(CLI::App& app, Runner& run) {
  auto* sign = app.add_subcommand(
      "sign", "Sign a file with a token key: XML-DSig enveloped, CAdES detached (.p7s) or PAdES (signed PDF)");
  auto o = std::make_shared<SignOptions>();
  sign->add_option("--format", o->format,
                   "xmldsig (enveloped, whole document), cades (detached .p7s) or pades (PDF, incremental update)")
      ->required()
      ->check(CLI::IsMember({"xmldsig", "cades", "pades"}));
  sign->add_option("--token", o->token, "Label of the token to sign with")->required()->type_name("LABEL");
  sign->add_option("--key-id", o->key_id, "CKA_ID of the key (needed when the token holds several)")->type_name("HEX");
  sign->add_option("--in", o->in, "File to sign")->required()->type_name("FILE");
  sign->add_option("--out", o->out, "Signed document (xmldsig, pades) or signature (cades)")
      ->required()
      ->type_name("FILE");
  sign->add_option("--module", o->module, "PKCS#11 module [$LGSP_PKCS11_MODULE]")->type_name("PATH");
  sign->add_option("--chain", o->chain,
                   "PEM file of the signer's CA certificates to include (when the token does not hold them)")
      ->type_name("PEM");
  sign->add_option("--config", o->config_file, "Node config (TOML) whose signing.ca_chain names the CA certificates")
      ->type_name("FILE");
  sign->add_option("--visible", o->visible,
                   "pades: visible signature on page PAGE (1-based) at X,Y (points from the lower left), W x H")
      ->type_name("PAGE,X,Y,W,H");
  sign->add_option("--image", o->image, "pades: the signer's image (PNG/JPEG) in the visible signature")
      ->type_name("PNG");
  sign->add_option("--seal-image", o->seal_image,
                   "pades: an agency's red seal (PNG/JPEG), over the left third of the visible signature")
      ->type_name("PNG");
  sign->add_option("--reason", o->reason, "pades: /Reason of the signature")->type_name("TEXT");
  sign->add_option("--location", o->location, "pades: /Location of the signature")->type_name("TEXT");
  sign->add_option("--title", o->title, "pades: the signer's title shown in the visible signature")->type_name("TEXT");
  sign->add_option("--agency", o->agency, "pades: the agency shown (default: the certificate's O)")->type_name("TEXT");
  sign->add_option("--tsa", o->tsa, "pades: RFC 3161 time-stamping authority (http): PAdES-B-T")->type_name("URL");
  sign->add_flag("--ltv", o->ltv,
                 "pades: add a DSS with the chain, the signer's OCSP response and --crl files: PAdES-B-LT");
  sign->add_option("--crl", o->crl, "pades --ltv: a CRL (PEM or DER) to put into the DSS; repeatable")
      ->type_name("FILE");
  sign->footer(
      "pades: the signature is an incremental update (earlier signatures stay valid), SubFilter\n"
      "ETSI.CAdES.detached; B-B by default, B-T with --tsa, B-LT with --ltv (and --tsa). Inputs that are not a PDF,\n"
      "damaged or encrypted are refused (LGSP-PDF-NOT-PDF, LGSP-PDF-DAMAGED, LGSP-PDF-ENCRYPTED).\n"
      "The signature carries the signer's CA certificates (root excluded), found on the token, in --chain, in\n"
      "signing.ca_chain of --config, or in $LGSP_SIGNING_CA_CHAIN; signing is refused (LGSP-SIGN-CHAIN-MISSING,\n"
      "exit 2) when none of them holds the signer's issuer, since a verifier with only its root could not check it.\n"
      "The PIN is read from $LGSP_PIN, or asked on the terminal without echo; never from the command line.\n"
      "A wrong PIN is not retried. --out is written only when signing succeeded.\n"
      "Exit codes: 0 signed, 1 failed, 2 usage, 3 token absent, 4 PIN wrong/locked/missing, 5 no such key.");
  sign->callback([&run, o] { run = [o] { return run_sign(*o); }; });
}

void add_verify_command(CLI::App& app, Runner& run) {
  auto* verify = app.add_subcommand("verify", "Verify an XML-DSig or CAdES signature and the signer's certificate");
  auto o = std::make_shared<VerifyOptions>();
  verify->add_option("--in", o->in, "Signed XML document, .p7s signature or signed PDF (format detected from content)")
      ->required()
      ->type_name("FILE");
  verify->add_option("--content", o->content, "The signed file, for a detached CAdES signature")->type_name("FILE");
  verify->add_option("--trust", o->trust, "Trusted root certificate(s), PEM; repeatable")->required()->type_name("PEM");
  verify->add_option("--revocation", o->revocation, "ocsp (default), crl (default with --crl) or none")
      ->check(CLI::IsMember({"ocsp", "crl", "none"}));
  verify->add_option("--crl", o->crl, "CRL of the issuing CA (PEM or DER); repeatable")->type_name("FILE");
  verify->add_option("--ocsp-url", o->ocsp_url, "OCSP responder to ask instead of the certificate's AIA")
      ->type_name("URL");
  verify->add_flag("--allow-legacy-sha1", o->allow_legacy_sha1, "Accept SHA-1 signatures (older edXML systems)");
  verify
      ->add_option("--require", o->require,
                   "cades: refuse CMS signatures that are not CAdES-BES (LGSP-VERIFY-NOT-CADES); by default they "
                   "are verified and reported as \"CMS, not CAdES-BES\"")
      ->check(CLI::IsMember({"cades"}));
  verify->add_flag("--json", o->json, "Print the full report as JSON on stdout");
  verify->footer(
      "The report says what the signature covers (XML-DSig: each reference's URI, transforms and covered element, "
      "and what is left out; CMS: the content's size and SHA-256, the signed attributes) and its level "
      "(XML-DSig enveloped, CAdES-BES, or CMS, not CAdES-BES).\n"
      "A PDF: every signature is reported (integrity of its /ByteRange, the CMS, chain, revocation from the verifier's "
      "policy or the DSS, time-stamp, level PAdES-B-B/B-T/B-LT) and what changed after it; a change to what was "
      "signed (not a later signature or DSS) is LGSP-VERIFY-MODIFIED. Not a PDF, damaged or encrypted PDFs: "
      "LGSP-PDF-NOT-PDF, LGSP-PDF-DAMAGED, LGSP-PDF-ENCRYPTED.\n"
      "Exit codes: 0 valid, 1 invalid (reason on stderr, or the JSON report with --json), 2 usage.");
  verify->callback([&run, o] { run = [o] { return run_verify(*o); }; });
}

}  // namespace

void add_signing_commands(CLI::App& app, Runner& run) {
  add_token_command(app, run);
  add_sign_command(app, run);
  add_verify_command(app, run);
}

}  // namespace lgsp::cli
