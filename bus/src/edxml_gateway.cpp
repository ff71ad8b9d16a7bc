#include "lgsp/bus/edxml_gateway.hpp"

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/refusal_recorder.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/repositories/edxml_repository.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/edxml_summary.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/verifier.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>

namespace lgsp::bus {
namespace {

using nlohmann::json;
namespace edxml = contracts::edxml;

constexpr ErrorCode kEdxmlInvalid{"LGSP-400-EDXML", 400, "The edXML package or status reply is not valid",
                                  "Gói tin edXML hoặc thông điệp trạng thái không hợp lệ"};
constexpr ErrorCode kEdxmlSignature{"LGSP-400-EDXML-SIGNATURE", 400, "The edXML package's signature is not valid",
                                    "Chữ ký số của gói tin edXML không hợp lệ"};
constexpr ErrorCode kOrganNotCallers{"LGSP-403-ORGAN", 403, "The sending organ is not registered to the caller",
                                     "Cơ quan gửi không được đăng ký cho hệ thống gọi"};
constexpr ErrorCode kUnknownOrgan{"LGSP-404-ORGAN", 404, "No system is registered for this organ id",
                                  "Không có hệ thống nào được đăng ký cho mã định danh cơ quan này"};
constexpr ErrorCode kUnknownDocument{"LGSP-404-DOCUMENT", 404, "No such edXML document for this client",
                                     "Không có văn bản edXML này đối với hệ thống gọi"};

constexpr std::int64_t kMaxListed = 1000;         // deliveries and statuses one answer shows
constexpr std::size_t kMaxDocumentIdBytes = 512;  // a DocumentId is "organ,date,code": far shorter

// Inbound packages are validated here, in one place: with the contracts' receive profile (the variants real
// producers send are accepted and named in the result's warnings, which the answer passes on).
contracts::ValidationResult validate_inbound(const contracts::Contract& contract, std::string_view body,
                                             const contracts::ParseLimits& limits) {
  return contract.validate(body, limits, contracts::Profile::receive);
}

// "a%2Cb+c" -> "a,b c"; nullopt for a malformed escape.
std::optional<std::string> form_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int a = hex(in[i + 1]), b = hex(in[i + 2]);
      if (a < 0 || b < 0) return std::nullopt;
      out += static_cast<char>(a * 16 + b);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// The value of `name` in a query string, decoded; nullopt when absent or malformed.
std::optional<std::string> query_value(const std::string& query, const std::string& name) {
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view pair(query.data() + start, end - start);
    if (pair.substr(0, name.size() + 1) == name + "=") return form_decode(pair.substr(name.size() + 1));
    start = end + 1;
  }
  return std::nullopt;
}

// One addressee's copy: an id the same package always gets (a repeated send is the exchange's repeated message,
// answered with the original receipt), unique per addressee.
std::string copy_message_id(const std::string& body, const std::string& organ, std::size_t index) {
  std::string id = "edxml-" + sha256_hex(body).substr(0, 40) + "-";
  return is_wire_id(id + organ) ? id + organ : id + std::to_string(index);
}

// "MEMBER/NAME/code/vN" -> "MEMBER/NAME".
std::string subsystem_of(const std::string& service) {
  const auto second = service.find('/', service.find('/') + 1);
  return service.substr(0, second);
}

// Nothing escapes the worker pool: an unexpected failure is the caller's 500 (answered once: a handler that
// throws has not answered yet).
template <class Fn>
void guarded(const Reply& reply, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    log::error("edxml.failed", {{"error", e.what()}});
    reply(problem(errors::kInternal, "the edXML request failed"));
  }
}

struct Addressee {
  std::string organ;
  std::string service;
  std::string message_id;
  json receipt;
  std::string accepted_at;
};

}  // namespace

std::string edxml_document_service(const std::string& subsystem) { return subsystem + "/edxml-document/v1"; }
std::string edxml_status_service(const std::string& subsystem) { return subsystem + "/edxml-status/v1"; }

struct EdxmlGateway::Impl : std::enable_shared_from_this<EdxmlGateway::Impl> {
  Dependencies deps;
  std::optional<signing::Verifier> verifier;  // none: no trust configured
  std::shared_ptr<boost::asio::thread_pool> pool;

  // One package on its way: what the checks found and the addressees' copies handed to the exchange so far.
  struct Job {
    HttpRequest request;
    Reply reply;
    std::string client;
    edxml::Summary summary;
    std::vector<Addressee> addressees;
    std::size_t next = 0;
    json warnings = json::array();  // the receive profile's named variants
  };

  void refuse(const HttpRequest& request, const std::string& client, Reply& reply, HttpResponse answer) {
    if (deps.refusals)
      deps.refusals->record(RefusalRecorder::kMessage, answer,
                            {{"route", "edxml"},
                             {"client", client.empty() ? request.header("lgsp-client").value_or("") : client},
                             {"remote", request.remote}});
    reply(std::move(answer));
  }

  void handle_post(HttpRequest& request, Reply reply) {
    Store* store = deps.store();
    const auto* catalogue = deps.catalogue();
    if (!store || !catalogue) return reply(problem(errors::kNotReady, "the store is not open yet"));
    auto job = std::make_shared<Job>();
    job->request = std::move(request);
    job->reply = std::move(reply);
    auto& r = job->request;
    try {
      Registry registry(*store, catalogue);
      auto who = authenticate_client(r, registry);
      if (auto* refusal = std::get_if<HttpResponse>(&who)) return refuse(r, "", job->reply, std::move(*refusal));
      job->client = std::get<Caller>(who).client;
    } catch (const StoreError& e) {
      return job->reply(problem(errors::kNotReady, std::string("the caller could not be authenticated: ") + e.what()));
    }
    auto fail = [&](const ErrorCode& code, const std::string& detail, const json& errors = json::array()) {
      refuse(r, job->client, job->reply, problem(code, detail, errors));
    };
    if (r.body.empty()) return fail(kEdxmlInvalid, "the body is empty: send an edXML package or status reply");
    // 1. What it is: a package or a status reply (the root element says), and its contract.
    try {
      job->summary = edxml::summarize(r.body, deps.limits);
    } catch (const std::exception& e) {
      return fail(kEdxmlInvalid, std::string("not an edXML package or status reply: ") + e.what());
    }
    const auto& s = job->summary;
    const bool is_status = s.kind == edxml::Summary::Kind::status;
    const char* contract_id = s.status_root ? "edxml-status@v1" : "edxml@v1";
    const auto* contract = catalogue->find(contract_id);
    if (!contract) return fail(errors::kInternal, std::string("the catalogue has no contract ") + contract_id);
    auto result = validate_inbound(*contract, r.body, deps.limits);
    if (!result.valid())
      return fail(kEdxmlInvalid,
                  "the package does not satisfy " + std::string(contract_id) + ": " + result.errors.front().message,
                  contracts::to_json(result.errors));
    if (!s.status_root) {
      try {
        (void)edxml::unpack(r.body, deps.limits, contracts::Profile::receive);  // attachments against the manifest
      } catch (const std::exception& e) {
        return fail(kEdxmlInvalid, e.what());
      }
    }
    job->warnings = contracts::to_json(result.warnings);
    if (s.document_id.size() > kMaxDocumentIdBytes) return fail(kEdxmlInvalid, "DocumentId is too long");
    // 2. The signature, when it is signed.
    if (s.is_signed) {
      if (!verifier) return fail(kEdxmlSignature, "the package is signed and this node has no edxml.trust to check it");
      const auto* bytes = reinterpret_cast<const unsigned char*>(r.body.data());
      auto report = verifier->verify(std::span<const unsigned char>(bytes, r.body.size()));
      if (!report.valid)
        return fail(kEdxmlSignature, report.reason.empty() ? "the signature does not verify" : report.reason);
    }
    // 3. Who sends it and who gets it, by organ id.
    std::vector<std::string> targets = is_status ? std::vector<std::string>{s.response_to_organ} : s.to_organs;
    try {
      std::optional<HttpResponse> refusal;
      store->read([&](Transaction& tx) {
        const auto& organs = edxml_repository(tx);
        auto from = organs.find_organ(tx, s.from_organ);
        if (!from || from->subsystem != job->client) {
          refusal =
              problem(kOrganNotCallers, "organ '" + s.from_organ + "' (From) is not registered to " + job->client);
          return;
        }
        for (std::size_t i = 0; i < targets.size(); ++i) {
          auto to = organs.find_organ(tx, targets[i]);
          if (!to) {
            refusal = problem(kUnknownOrgan, "no system is registered for organ '" + targets[i] + "'");
            return;
          }
          job->addressees.push_back(
              {targets[i], is_status ? edxml_status_service(to->subsystem) : edxml_document_service(to->subsystem),
               copy_message_id(r.body, targets[i], i), json(), ""});
        }
      });
      if (refusal) return refuse(r, job->client, job->reply, std::move(*refusal));
    } catch (const StoreError& e) {
      return job->reply(problem(errors::kNotReady, std::string("the registry could not be read: ") + e.what()));
    }
    submit_next(job);
  }

  // Hands the next addressee's copy to the exchange; all accepted: records them and answers.
  void submit_next(const std::shared_ptr<Job>& job) {
    if (job->next == job->addressees.size()) return finish(job);
    const auto& a = job->addressees[job->next];
    HttpRequest copy;
    copy.method = "POST";
    copy.target = copy.path = "/v1/messages";
    copy.remote = job->request.remote;
    copy.peer_certificate_sha256 = job->request.peer_certificate_sha256;
    for (const char* h : {"authorization", "lgsp-client"})
      if (auto v = job->request.header(h)) copy.headers[h] = *v;
    copy.headers["lgsp-service"] = a.service;
    copy.headers["lgsp-message-id"] = a.message_id;
    copy.headers["content-type"] = "application/xml";
    copy.body = job->request.body;
    auto self = shared_from_this();
    deps.submit(std::move(copy), [self, job](HttpResponse answer) {
      auto& a = job->addressees[job->next];
      if (answer.status != 200 && answer.status != 202) {
        // The exchange refused this copy (ACL, 503 ...) and recorded it; what it accepted before stays accepted
        // and a repeated send gets the original receipts for those.
        auto body = json::parse(answer.body, nullptr, false);
        if (body.is_object()) {
          body["organ_id"] = a.organ;
          json accepted = json::array();
          for (std::size_t i = 0; i < job->next; ++i) accepted.push_back(job->addressees[i].organ);
          body["accepted"] = accepted;
          answer.body = body.dump();
        }
        return job->reply(std::move(answer));
      }
      auto receipt = json::parse(answer.body, nullptr, false);
      a.receipt = receipt;
      a.accepted_at = receipt.is_object() ? receipt.value("accepted_at", "") : "";
      ++job->next;
      // The exchange answers from its own threads (the sealer's, the store writer's): the next copy goes from ours.
      boost::asio::post(*self->pool, [self, job] { guarded(job->reply, [&] { self->submit_next(job); }); });
    });
  }

  void finish(const std::shared_ptr<Job>& job) {
    const auto& s = job->summary;
    const bool is_status = s.kind == edxml::Summary::Kind::status;
    Store* store = deps.store();
    auto answer = [job, is_status](std::exception_ptr e) {
      if (e) {
        // The copies are durable and will be delivered; sending again records them (same ids, original receipts).
        log::error("edxml.record_failed", {{"document_id", job->summary.document_id}});
        return job->reply(problem(errors::kNotReady, "the copies were accepted but not recorded: send again"));
      }
      json deliveries = json::array();
      for (const auto& a : job->addressees)
        deliveries.push_back(
            {{"organ_id", a.organ}, {"service", a.service}, {"message_id", a.message_id}, {"receipt", a.receipt}});
      job->reply(HttpResponse::json(202, {{"kind", is_status ? "status" : "document"},
                                          {"document_id", job->summary.document_id},
                                          {"from_organ", job->summary.from_organ},
                                          {"deliveries", deliveries},
                                          {"warnings", job->warnings}}));
    };
    if (!store) return answer(std::make_exception_ptr(StoreError("the store is closing")));
    try {
      store->write(
          [job, is_status](Transaction& tx) {
            const auto& repo = edxml_repository(tx);
            const auto& s = job->summary;
            for (const auto& a : job->addressees) {
              repo.record_delivery(
                  tx, {0, is_status ? "status" : "document", s.document_id, s.from_organ, a.organ, job->client,
                       a.service, a.message_id, s.subject, a.accepted_at.empty() ? utc_now_rfc3339() : a.accepted_at});
              if (is_status)
                repo.record_status(
                    tx, {0, s.document_id, s.from_organ, s.status_code, s.description, s.timestamp, a.message_id, ""});
            }
          },
          std::move(answer));
    } catch (const std::exception&) {
      answer(std::current_exception());
    }
  }

  void handle_get(HttpRequest& request, Reply reply) {
    Store* store = deps.store();
    if (!store) return reply(problem(errors::kNotReady, "the store is not open yet"));
    std::string client;
    try {
      Registry registry(*store, deps.catalogue());
      auto who = authenticate_client(request, registry);
      if (auto* refusal = std::get_if<HttpResponse>(&who)) return reply(std::move(*refusal));
      client = std::get<Caller>(who).client;
    } catch (const StoreError& e) {
      return reply(problem(errors::kNotReady, std::string("the caller could not be authenticated: ") + e.what()));
    }
    auto id = query_value(request.query, "document_id");
    if (!id || id->empty() || id->size() > kMaxDocumentIdBytes)
      return reply(problem(errors::kMissingHeader,
                           "the query must name the document: ?document_id=<DocumentId, percent-encoded>"));
    json out;
    try {
      store->read([&](Transaction& tx) {
        const auto& repo = edxml_repository(tx);
        auto deliveries = repo.deliveries(tx, *id, kMaxListed);
        // Only a party to the document sees it: its sender, an addressee, or whoever sent a status about it.
        bool party = false;
        for (const auto& d : deliveries) party = party || d.client == client || subsystem_of(d.service) == client;
        if (!party) return;
        json copies = json::array();
        for (const auto& d : deliveries)
          copies.push_back({{"kind", d.kind},
                            {"from_organ", d.from_organ},
                            {"to_organ", d.to_organ},
                            {"service", d.service},
                            {"message_id", d.message_id},
                            {"accepted_at", d.accepted_at}});
        json statuses = json::array();
        for (const auto& st : repo.statuses(tx, *id, kMaxListed))
          statuses.push_back({{"from_organ", st.from_organ},
                              {"status_code", st.status_code},
                              {"description", st.description},
                              {"timestamp", st.timestamp},
                              {"message_id", st.message_id},
                              {"recorded_at", st.recorded_at}});
        out = {{"document_id", *id}, {"deliveries", copies}, {"statuses", statuses}};
      });
    } catch (const StoreError& e) {
      return reply(problem(errors::kNotReady, std::string("the store could not be read: ") + e.what()));
    }
    if (out.is_null()) return reply(problem(kUnknownDocument, "no edXML document '" + *id + "' for " + client));
    reply(HttpResponse::json(200, out));
  }
};

EdxmlGateway::EdxmlGateway(Dependencies dependencies, EdxmlGatewayOptions options)
    : impl_(std::make_shared<Impl>()), pool_(std::make_shared<boost::asio::thread_pool>(options.threads)) {
  impl_->deps = std::move(dependencies);
  impl_->pool = pool_;
  if (!options.trust.empty()) {
    signing::TrustPolicy policy;
    policy.anchors = signing::load_pem_certificates(options.trust);
    policy.revocation = options.check_revocation ? signing::RevocationMode::kOcsp : signing::RevocationMode::kNone;
    impl_->verifier.emplace(signing::TrustStore(std::move(policy)), signing::VerifyOptions{});
  }
}

EdxmlGateway::~EdxmlGateway() { pool_->join(); }

void EdxmlGateway::add_routes(Router& router) {
  auto impl = impl_;
  auto pool = pool_;
  router.add("POST", "/v1/edxml/messages", [impl, pool](HttpRequest& r, Reply reply) {
    boost::asio::post(*pool, [impl, request = std::move(r), reply = std::move(reply)]() mutable {
      guarded(reply, [&] { impl->handle_post(request, reply); });
    });
  });
  router.add("GET", "/v1/edxml/documents", [impl, pool](HttpRequest& r, Reply reply) {
    boost::asio::post(*pool, [impl, request = std::move(r), reply = std::move(reply)]() mutable {
      guarded(reply, [&] { impl->handle_get(request, reply); });
    });
  });
}

}  // namespace lgsp::bus
