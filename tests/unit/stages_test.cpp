// Each pipeline stage on its own, with the narrow context it gets: a real SQLite store with the node's
// schema, the registry and the contract catalogue. The stages are shared by POST /v1/messages and
// /v1/call, so each rule is shown for both routes where they differ.
#include "stages/stage.hpp"

#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/seal_certificates.hpp"
#include "lgsp/bus/sqlite_store.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/signing/signer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using namespace lgsp::bus::pipeline;
using nlohmann::json;

namespace {

const std::string kWard = "000.00.13.H29";
const std::string kClient = kWard + "/MOTCUA";
const std::string kProvider = kWard + "/HOTICH";
const std::string kService = kProvider + "/hoso/v1";

std::string example(const std::string& file) {
  std::ifstream in(lgsp::contracts::default_catalogue_dir() / "onestop.dossier-submission/v1/examples" / file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a stage did with one submission: passed it on, or answered (refused or accepted).
struct Outcome {
  bool passed = false;
  std::optional<HttpResponse> answer;
  std::string code() const {
    if (!answer) return "";
    auto body = json::parse(answer->body, nullptr, false);
    return body.is_object() ? body.value("code", "") : "";
  }
};

class Stages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-stages-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::make_unique<SqliteStore>(SqliteStoreOptions{dir_ / "lgsp.db"}, node_migrations());
    catalogue_.emplace(lgsp::contracts::Catalogue::load(lgsp::contracts::default_catalogue_dir()));
    Registry reg(*store_, &*catalogue_);
    reg.add_member(kWard, "UBND phường Thuận Hòa");
    for (const auto& s : {kClient, kProvider, kWard + "/OTHER"}) reg.add_subsystem(s);
    Service s;
    s.id = kService;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:1/hoso";
    reg.add_service(s);
    reg.grant(kClient, kService);
    key_ = reg.create_api_key(kClient);
    other_key_ = reg.create_api_key(kWard + "/OTHER");

    context_ = std::make_shared<MessageContext>();
    context_->store = [this] { return store_open_ ? store_.get() : nullptr; };
    context_->catalogue = [this]() -> const lgsp::contracts::Catalogue* { return &*catalogue_; };
    context_->refuse = [this](Submission& s, HttpResponse r) {
      ++refusals_;
      s.reply(std::move(r));
    };
    context_->sealer = [this] { return sealer_; };
    context_->certificates = std::make_shared<SealCertificateCache>();
    context_->full_seal = [](Transaction& tx, const std::string& stored, bool) {
      auto full = expand_seal_text(stored, load_seal_certificates(tx));
      if (!full) throw SealCertificateMissing("missing");
      return *full;
    };
    context_->accepted = [this] { ++accepted_; };
    headers_ = pipeline::headers(context_);
    access_ = pipeline::access(context_);
    contract_ = pipeline::contract(context_);
    idempotency_ = pipeline::idempotency(context_);
    persist_ = pipeline::persist(context_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // A request as the HTTP layer hands it over.
  HttpRequest request(std::map<std::string, std::string> headers, std::string body, std::string method = "POST") {
    HttpRequest r;
    r.method = std::move(method);
    r.path = "/v1/messages";
    r.headers = std::move(headers);
    r.body = std::move(body);
    r.remote = "127.0.0.1:5000";
    return r;
  }
  std::map<std::string, std::string> good_headers(const std::string& id = "m-1") {
    return {{"authorization", "Bearer " + key_},
            {"lgsp-client", kClient},
            {"lgsp-service", kService},
            {"lgsp-message-id", id}};
  }

  // Runs one stage; waits (bounded) for an answer given later from another thread (store, HSM).
  Outcome run(Stage& stage, const SubmissionPtr& s) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future();
    auto once = std::make_shared<std::once_flag>();
    s->reply = [promise, once](HttpResponse r) {
      std::call_once(*once, [&] {
        Outcome o;
        o.answer = std::move(r);
        promise->set_value(std::move(o));
      });
    };
    stage.process(s, [promise, once](const SubmissionPtr&) {
      std::call_once(*once, [&] { promise->set_value(Outcome{true, std::nullopt}); });
    });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }
  Outcome run(Stage& stage, HttpRequest r, std::function<void(Submission&)> arrange = {}) {
    auto s = std::make_shared<Submission>();
    s->request = std::move(r);
    if (arrange) arrange(*s);
    last_ = s;
    return run(stage, s);
  }
  // A submission that went through headers, access and contract, ready for the message stages.
  SubmissionPtr checked(const std::string& id, const std::string& body) {
    auto s = std::make_shared<Submission>();
    s->request = request(good_headers(id), body);
    for (auto* stage : {headers_.get(), access_.get(), contract_.get()}) EXPECT_TRUE(run(*stage, s).passed);
    return s;
  }
  // Whether the deliverer was woken `n` times within a few seconds (it is woken after the client's answer).
  bool accepted_eventually(int n) {
    for (int i = 0; i < 500 && accepted_.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return accepted_.load() == n;
  }
  // Persists `s` with a seal that carries its certificate inline (no stored form).
  Outcome persist(const SubmissionPtr& s) {
    s->receipt.accepted_at = "2026-12-04T10:00:00Z";
    s->seal.text = R"({"alg":"test","sig":"c2ln"})";
    return run(*persist_, s);
  }

  fs::path dir_;
  std::unique_ptr<SqliteStore> store_;
  bool store_open_ = true;
  std::optional<lgsp::contracts::Catalogue> catalogue_;
  std::string key_, other_key_;
  Sealer* sealer_ = nullptr;
  std::shared_ptr<MessageContext> context_;
  int refusals_ = 0;
  std::atomic<int> accepted_{0};
  SubmissionPtr last_;
  std::unique_ptr<Stage> headers_, access_, contract_, idempotency_, persist_;
};

// --- headers ---------------------------------------------------------------------------------------

TEST_F(Stages, headers_for_messages_require_service_message_id_and_payload) {
  auto ok = run(*headers_, request(good_headers(), "{}"));
  EXPECT_TRUE(ok.passed);
  EXPECT_EQ(last_->service_id, kService);
  EXPECT_EQ(last_->message_id, "m-1");

  auto h = good_headers();
  h.erase("lgsp-service");
  EXPECT_EQ(run(*headers_, request(h, "{}")).code(), "LGSP-400-HEADER");
  h = good_headers();
  h["lgsp-service"] = kService + "/../x";
  EXPECT_EQ(run(*headers_, request(h, "{}")).code(), "LGSP-400-HEADER");
  h = good_headers();
  h.erase("lgsp-message-id");
  EXPECT_EQ(run(*headers_, request(h, "{}")).code(), "LGSP-400-HEADER");
  EXPECT_EQ(run(*headers_, request(good_headers("id with spaces"), "{}")).code(), "LGSP-400-HEADER");
  h = good_headers();
  h["lgsp-conversation-id"] = std::string(129, 'c');
  EXPECT_EQ(run(*headers_, request(h, "{}")).code(), "LGSP-400-HEADER");
  h["lgsp-conversation-id"] = "";
  EXPECT_TRUE(run(*headers_, request(h, "{}")).passed) << "an empty conversation id is none";
  EXPECT_EQ(run(*headers_, request(good_headers(), "")).code(), "LGSP-400-CONTRACT");
  EXPECT_EQ(refusals_, 6) << "every refusal goes through the context";
}

TEST_F(Stages, headers_for_calls_take_the_service_from_the_url_and_an_optional_id) {
  auto call = pipeline::headers(
      context_, {.service_from_header = false, .message_id_required = false, .payload_required = false});
  auto from_url = [](Submission& s) { s.service_id = kService; };
  std::map<std::string, std::string> h = {{"authorization", "Bearer " + key_}, {"lgsp-client", kClient}};
  EXPECT_TRUE(run(*call, request(h, "", "GET"), from_url).passed);
  EXPECT_EQ(last_->service_id, kService) << "the URL's service is kept";
  EXPECT_EQ(last_->message_id, "");
  h["lgsp-message-id"] = "call 1\"}";
  auto bad_id = run(*call, request(h, ""), from_url);
  EXPECT_EQ(bad_id.code(), "LGSP-400-HEADER");
  EXPECT_NE(bad_id.answer->body.find("when given"), std::string::npos);
  h["lgsp-message-id"] = "";
  EXPECT_EQ(run(*call, request(h, ""), from_url).code(), "LGSP-400-HEADER") << "given empty is given";
  h["lgsp-message-id"] = "call-1";
  h["lgsp-conversation-id"] = "a b";
  EXPECT_EQ(run(*call, request(h, ""), from_url).code(), "LGSP-400-HEADER");
}

// --- access ----------------------------------------------------------------------------------------

TEST_F(Stages, access_authenticates_checks_the_client_the_service_and_the_grant) {
  auto ok = run(*access_, request(good_headers(), "{}"), [](Submission& s) { s.service_id = kService; });
  ASSERT_TRUE(ok.passed);
  EXPECT_EQ(last_->caller.client, kClient);
  EXPECT_EQ(last_->caller.service.request_contract, "onestop.dossier-submission@v1");

  auto with_service = [](const std::string& service) { return [service](Submission& s) { s.service_id = service; }; };
  auto h = good_headers();
  h.erase("authorization");
  EXPECT_EQ(run(*access_, request(h, "{}"), with_service(kService)).code(), "LGSP-401-AUTH");
  h = good_headers();
  h["authorization"] = "Bearer not-a-key";
  EXPECT_EQ(run(*access_, request(h, "{}"), with_service(kService)).code(), "LGSP-401-AUTH");
  h = good_headers();
  h["lgsp-client"] = kWard + "/OTHER";
  EXPECT_EQ(run(*access_, request(h, "{}"), with_service(kService)).code(), "LGSP-403-CLIENT");
  h["authorization"] = "Bearer " + other_key_;
  EXPECT_EQ(run(*access_, request(h, "{}"), with_service(kService)).code(), "LGSP-403-ACL");
  EXPECT_EQ(run(*access_, request(good_headers(), "{}"), with_service(kProvider + "/nope/v1")).code(),
            "LGSP-404-SERVICE");
}

TEST_F(Stages, access_refuses_while_the_store_is_not_open) {
  store_open_ = false;
  EXPECT_EQ(run(*access_, request(good_headers(), "{}"), [](Submission& s) { s.service_id = kService; }).code(),
            "LGSP-503-NOT-READY");
}

// --- contract --------------------------------------------------------------------------------------

TEST_F(Stages, contract_validates_the_payload_against_the_services_request_contract) {
  auto as_caller = [this](const std::string& service) {
    return [this, service](Submission& s) {
      s.service_id = service;
      s.caller.client = kClient;
      s.caller.service = *Registry(*store_, &*catalogue_).find_service(service);
    };
  };
  EXPECT_TRUE(
      run(*contract_, request(good_headers(), example("valid-1-step-to-department.json")), as_caller(kService)).passed);
  auto invalid =
      run(*contract_, request(good_headers(), example("invalid-bad-dossier-code.json")), as_caller(kService));
  EXPECT_EQ(invalid.code(), "LGSP-400-CONTRACT");
  EXPECT_FALSE(json::parse(invalid.answer->body)["errors"].empty());
  EXPECT_EQ(run(*contract_, request(good_headers(), "{not json"), as_caller(kService)).code(), "LGSP-400-CONTRACT");
  // A call without a body (GET) has nothing to validate; a POST without one is validated (and fails).
  EXPECT_TRUE(run(*contract_, request(good_headers(), "", "GET"), as_caller(kService)).passed);
  EXPECT_EQ(run(*contract_, request(good_headers(), "", "POST"), as_caller(kService)).code(), "LGSP-400-CONTRACT");
  // The registry refuses a service with an unknown contract; one removed from the catalogue since is a 500.
  auto gone = [&](Submission& s) {
    as_caller(kService)(s);
    s.caller.service.request_contract = "no.such-contract@v1";
  };
  EXPECT_EQ(run(*contract_, request(good_headers(), "{}"), gone).code(), "LGSP-500-INTERNAL");
}

TEST_F(Stages, contract_checks_inbound_payloads_with_the_receive_profile_and_keeps_its_warnings) {
  auto as_edxml = [this](Submission& s) {
    s.service_id = kService;
    s.caller.client = kClient;
    s.caller.service = *Registry(*store_, &*catalogue_).find_service(kService);
    s.caller.service.request_contract = "edxml@v1";
  };
  const fs::path fixtures = fs::path(LGSP_SOURCE_DIR) / "tests/data/contracts-receive/edxml@v1";
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  // A package from a system on the national axis (organ ids vxp.saas.NN): refused by strict, accepted inbound.
  const auto sdk = slurp(fixtures / "accept/edxml.organ-id-system--vxp-system-ids.xml");
  ASSERT_FALSE(catalogue_->find("edxml@v1")->validate(sdk, {}).valid());
  EXPECT_TRUE(run(*contract_, request(good_headers(), sdk), as_edxml).passed);
  ASSERT_FALSE(last_->contract_warnings.empty());
  for (const auto& w : last_->contract_warnings) EXPECT_EQ(w.variant, "edxml.organ-id-system");
  // A strictly conforming package carries no warnings; one no variant allows is still refused.
  EXPECT_TRUE(
      run(*contract_, request(good_headers(), slurp(fixtures / "strict/standard-document.xml")), as_edxml).passed);
  EXPECT_TRUE(last_->contract_warnings.empty());
  EXPECT_EQ(
      run(*contract_, request(good_headers(), slurp(fixtures / "refuse/status-message-with-attachment.xml")), as_edxml)
          .code(),
      "LGSP-400-CONTRACT");
}

// --- idempotency and persist -----------------------------------------------------------------------

TEST_F(Stages, persist_stores_the_message_and_answers_202_with_its_receipt) {
  auto s = checked("m-1", example("valid-1-step-to-department.json"));
  ASSERT_TRUE(run(*idempotency_, s).passed);
  EXPECT_EQ(s->receipt.payload_sha256, sha256_hex(s->request.body));
  auto stored = persist(s);
  ASSERT_TRUE(stored.answer);
  EXPECT_EQ(stored.answer->status, 202u);
  auto receipt = json::parse(stored.answer->body);
  EXPECT_EQ(receipt["message_id"], "m-1");
  EXPECT_EQ(receipt["signature"]["alg"], "test");
  // The stage answers the client first and wakes the deliverer after, on the store's thread.
  EXPECT_TRUE(accepted_eventually(1));
  std::int64_t messages = 0, records = 0;
  store_->read([&](Transaction& tx) {
    messages = tx.query("SELECT count(*) AS n FROM message WHERE id = 'm-1' AND state = 'accepted'").at(0).integer("n");
    records = tx.query("SELECT count(*) AS n FROM message_log WHERE kind = 'accepted'").at(0).integer("n");
  });
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(records, 1);
}

TEST_F(Stages, idempotency_answers_a_repeat_with_its_receipt_and_a_changed_one_with_409) {
  auto first = checked("m-1", example("valid-1-step-to-department.json"));
  ASSERT_TRUE(run(*idempotency_, first).passed);
  auto stored = persist(first);
  ASSERT_EQ(stored.answer->status, 202u);

  auto repeat = run(*idempotency_, checked("m-1", example("valid-1-step-to-department.json")));
  ASSERT_TRUE(repeat.answer);
  EXPECT_EQ(repeat.answer->status, 200u);
  EXPECT_EQ(json::parse(repeat.answer->body), json::parse(stored.answer->body));

  auto changed = checked("m-1", example("valid-1-step-to-department.json") + " ");
  EXPECT_EQ(run(*idempotency_, changed).code(), "LGSP-409-MESSAGE-ID");
  // Two copies racing past the idempotency stage: the second insert finds the first inside the transaction.
  auto raced = checked("m-1", example("valid-1-step-to-department.json") + " ");
  raced->receipt.message_id = "m-1";
  raced->receipt.client = kClient;
  raced->receipt.service = kService;
  raced->receipt.payload_sha256 = sha256_hex(raced->request.body);
  EXPECT_EQ(persist(raced).code(), "LGSP-409-MESSAGE-ID");
  EXPECT_TRUE(accepted_eventually(1));
}

TEST_F(Stages, persist_refuses_503_while_the_store_is_closed) {
  auto s = checked("m-1", example("valid-1-step-to-department.json"));
  store_open_ = false;
  EXPECT_EQ(persist(s).code(), "LGSP-503-NOT-READY");
}

// --- seal ------------------------------------------------------------------------------------------

TEST_F(Stages, seal_refuses_503_when_signing_is_disabled_or_the_token_cannot_sign) {
  auto seal = pipeline::seal(context_);
  auto s = checked("m-1", example("valid-1-step-to-department.json"));
  auto disabled = run(*seal, s);
  EXPECT_EQ(disabled.code(), "LGSP-503-SIGNING");
  EXPECT_NE(disabled.answer->body.find("disabled"), std::string::npos);

  // The real batch signer with a token that cannot be opened: not ready, and it says why.
  BatchSigner no_token([]() -> std::unique_ptr<lgsp::signing::Signer> {
    throw std::runtime_error("the token lgsp-node is not present");
  });
  sealer_ = &no_token;
  // It says "being opened" until its first attempt failed.
  std::string why;
  for (int i = 0; i < 300 && why.find("not present") == std::string::npos; ++i) {
    why.clear();
    no_token.ready(why);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto absent = run(*seal, checked("m-2", example("valid-1-step-to-department.json")));
  EXPECT_EQ(absent.code(), "LGSP-503-SIGNING");
  EXPECT_NE(absent.answer->body.find("not present"), std::string::npos) << absent.answer->body;
}

// --- the pipeline ----------------------------------------------------------------------------------

TEST_F(Stages, a_stage_that_throws_refuses_with_500_and_later_stages_do_not_run) {
  struct Throws : Stage {
    void process(const SubmissionPtr&, const Next&) override { throw std::runtime_error("boom"); }
  };
  struct Counts : Stage {
    int* n;
    explicit Counts(int* count) : n(count) {}
    void process(const SubmissionPtr& s, const Next& next) override {
      ++*n;
      next(s);
    }
  };
  int before = 0, after = 0;
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<Counts>(&before));
  stages.push_back(std::make_unique<Throws>());
  stages.push_back(std::make_unique<Counts>(&after));
  auto p = std::make_shared<Pipeline>(context_, std::move(stages));
  auto s = std::make_shared<Submission>();
  std::optional<HttpResponse> answer;
  s->reply = [&](HttpResponse r) { answer = std::move(r); };
  p->run(s);
  EXPECT_EQ(before, 1);
  EXPECT_EQ(after, 0);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 500u);
  EXPECT_EQ(json::parse(answer->body)["code"], "LGSP-500-INTERNAL");
}

}  // namespace
