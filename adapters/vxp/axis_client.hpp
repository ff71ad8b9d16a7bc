// The national document-exchange axis (VXP) as its SDK (SDKVXP, com.vpcp.services) speaks to it: one POST per
// operation at <endpoint>/<operation>, the operation's parameters as headers, every header repeated as
// XroadVnpt-<name> and signed with HMAC-SHA256 under the system's secret (XroadVnpt-sign-header-key,
// XroadVnpt-sign-header, XroadVnpt-hash-header), JSON answers {"status", "ErrorCode", "ErrorDesc", ...}.
// Every answer is checked against what the API says before anything of it is used (docs/adapters.md#vxp).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::adapters::vxp {

struct AxisSettings {
  std::string url;        // the SDK's service.endpoint, e.g. "https://vxp.example.gov.vn"
  std::string system_id;  // systemid: the province's system on the axis, e.g. "vxp.saas.03"
  std::string secret;     // the HMAC secret the axis gave that system
  std::filesystem::path ca;
  std::chrono::milliseconds timeout{30000};
  std::size_t max_document_bytes = 50 * 1024 * 1024;
};

// What became of one operation.
struct AxisOutcome {
  enum class Kind {
    ok,           // status OK, ErrorCode "0"
    refused,      // the axis answered FAIL with an ErrorCode: it will not do it (an unknown agency, a bad package)
    unavailable,  // no answer, 5xx, 429, or the axis refused our credentials (401/403): try again later
    malformed,    // an answer that is not what the API says (not JSON, a field missing or of the wrong type)
  };
  Kind kind = Kind::unavailable;
  unsigned http_status = 0;
  std::string error_code;  // the axis's ErrorCode when it gave one
  std::string detail;      // ErrorDesc, the transport error or what was wrong with the answer (one line, bounded)
  bool ok() const { return kind == Kind::ok; }
  std::string describe() const;
};

struct Envelope;

// One entry of getReceivedEdocList.
struct ReceivedEdoc {
  std::string doc_id;
  std::string message_type;  // "edoc" or "status"
  std::string from;
  std::string to;
  std::string status;
  std::string created_time;
};

// One entry of getAgenciesList.
struct Agency {
  std::string id;
  std::string code;  // the organ id (QCVN 102 OrganId)
  std::string name;
  std::string pid;  // the parent's id
  std::string mail;
};

class AxisClient {
 public:
  explicit AxisClient(AxisSettings settings);
  ~AxisClient();
  AxisClient(const AxisClient&) = delete;
  AxisClient& operator=(const AxisClient&) = delete;

  // getReceivedEdocList: what the axis holds for this system (servicetype eDoc, messagetype edoc|status). Entries
  // without a usable docId are left out, each with its reason in `rejected`.
  AxisOutcome list_received(std::string_view message_type, std::vector<ReceivedEdoc>& out,
                            std::vector<std::string>& rejected);
  // getEdoc: one package, the edXML bytes (the answer's base64 `data`).
  AxisOutcome get_edoc(const std::string& doc_id, std::string& edxml);
  // sendEdoc: an edXML package or status reply from `from` to `to` (the body as it is; hash-file its SHA-256).
  AxisOutcome send_edoc(const std::string& from, const std::vector<std::string>& to, std::string_view message_type,
                        const std::string& edxml, std::string& doc_id);
  // updateStatus: "processing", "done" (taken) or "fail" (refused) for a received document.
  AxisOutcome update_status(const std::string& doc_id, std::string_view status);
  // getAgenciesList: the organs the axis connects.
  AxisOutcome agencies(std::vector<Agency>& out);

  const AxisSettings& settings() const { return settings_; }

  // The SDK's signature over `sign_header` (the JSON of the XroadVnpt- headers): hex HMAC-SHA256 under `secret`.
  static std::string sign(const std::string& secret, const std::string& sign_header);
  // Reads an answer to `operation` ("getReceivedEdocList", "getEdoc", "sendEdoc", "updateStatus",
  // "getAgenciesList") given its HTTP status and body, as the operations do: never throws, bounds everything.
  struct Reading {
    std::vector<ReceivedEdoc> received;
    std::vector<std::string> rejected;
    std::string edxml;
    std::string doc_id;
    std::vector<Agency> agencies;
  };
  static AxisOutcome read_answer(std::string_view operation, unsigned http_status, const std::string& body,
                                 std::size_t max_document_bytes, Reading& out);
  // An axis document id we accept: 1 to 128 of A-Z a-z 0-9 - _ . : (the ids seen are UUIDs and 24-hex ids).
  static bool is_doc_id(std::string_view id);

 private:
  Envelope post(const std::string& operation, std::vector<std::pair<std::string, std::string>> parameters,
                const std::string& content_type, std::string body);
  AxisSettings settings_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::adapters::vxp
