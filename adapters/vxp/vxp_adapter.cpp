#include "vxp_adapter.hpp"

#include "axis_client.hpp"
#include "vxp_errors.hpp"
#include "vxp_journal.hpp"

#include "lgsp/adapters/backoff.hpp"
#include "lgsp/adapters/errors.hpp"
#include "lgsp/bus/edxml_gateway.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/contracts/edxml_summary.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lgsp::adapters {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using vxp::AxisClient;
using vxp::AxisOutcome;
using vxp::Journal;

std::string bounded(std::string s, std::size_t max = 300) {
  if (s.size() > max) s = s.substr(0, max) + "...";
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

// The addressee of one copy: the gateway names each copy edxml-<40 hex>-<organ id> (docs/edxml.md).
std::string organ_of_copy(const std::string& message_id) {
  constexpr std::size_t kPrefix = 6 + 40 + 1;
  if (message_id.size() <= kPrefix || message_id.compare(0, 6, "edxml-") != 0 || message_id[kPrefix - 1] != '-')
    return "";
  return message_id.substr(kPrefix);
}

enum class Step { done, retry_later, stopped };

class VxpAdapter final : public VxpConnector {
 public:
  explicit VxpAdapter(ConfigTable& table) {
    name_ = table.required_string("name");
    auto axis = table.table("axis");
    vxp::AxisSettings s;
    s.url = axis.required_string("url");
    if (s.url.rfind("https://", 0) != 0 && s.url.rfind("http://", 0) != 0)
      throw AdapterConfigError(axis.where("url"), "must start with https:// (or http://)");
    s.system_id = axis.required_string("system_id");
    if (s.system_id.empty() || s.system_id.size() > 128)
      throw AdapterConfigError(axis.where("system_id"), "must be 1 to 128 characters");
    s.secret = axis.required_secret("secret");
    if (auto ca = axis.optional_path("ca")) s.ca = *ca;
    s.timeout = axis.milliseconds("timeout_ms", 30000ms, 100ms, 600000ms);
    s.max_document_bytes =
        static_cast<std::size_t>(axis.integer("max_document_bytes", 50 * 1024 * 1024, 1024, 1024LL * 1024 * 1024));
    settings_ = s;
    inbound_ = table.boolean("inbound", true);
    poll_interval_ = table.milliseconds("poll_interval_ms", 5000ms, 10ms, 3600000ms);
    initial_backoff_ = table.milliseconds("initial_backoff_ms", 500ms, 10ms, 600000ms);
    max_backoff_ = table.milliseconds("max_backoff_ms", 60000ms, 10ms, 3600000ms);
    workers_count_ = static_cast<unsigned>(table.integer("workers", 2, 1, 64));
    max_journal_ = static_cast<std::size_t>(table.integer("journal_entries", 100000, 100, 10000000));
  }

  ~VxpAdapter() override { stop(); }

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "vxp"; }

  std::vector<AgencyRow> list_agencies() override {
    AxisClient axis(settings_);
    std::vector<vxp::Agency> agencies;
    const auto outcome = axis.agencies(agencies);
    if (!outcome.ok()) throw std::runtime_error("getAgenciesList: " + outcome.describe());
    std::vector<AgencyRow> rows;
    for (auto& a : agencies) rows.push_back({a.id, a.code, a.name, a.pid, a.mail});
    return rows;
  }

  void prepare_replay(AdapterContext& context) override { open(context); }

  void start(AdapterContext& context) override {
    open(context);
    workers_ = std::make_unique<bus::WorkerRoutes>(workers_count_, bus::RouteErrors{"adapter.vxp", {}, {}});
    context.router.add("POST", context.route_prefix + "/deliveries",
                       workers_->handler([this](bus::HttpRequest& request) { return deliver(request); }));
    if (inbound_) poller_ = std::thread([this] { poll(); });
  }

  void stop() override {
    {
      std::lock_guard lock(wake_mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (poller_.joinable()) poller_.join();
    if (workers_) workers_->join();
  }

  Health health() const override {
    std::lock_guard lock(health_mutex_);
    Health h;
    h.ok = axis_ok_ && node_ok_;
    h.backlog = backlog_;
    if (!axis_ok_)
      h.detail = "axis: " + axis_detail_;
    else if (!node_ok_)
      h.detail = "node unavailable: " + node_detail_;
    else
      h.detail = "axis " + settings_.url + " as " + settings_.system_id + ", " + std::to_string(backlog_) +
                 " received documents waiting";
    h.detail = bounded(h.detail);
    return h;
  }

  std::string replay(const DeadLetter& letter) override {
    json detail = json::parse(letter.detail, nullptr, false);
    if (!detail.is_object() || !detail.contains("direction"))
      return "the dead letter's detail is not what this adapter wrote";
    try {
      if (detail["direction"] == "outbound") {
        const auto message_id = detail.at("message_id").get<std::string>();
        const auto outcome = send_to_axis(message_id, detail.at("from").get<std::string>(),
                                          detail.at("to").get<std::vector<std::string>>(),
                                          detail.at("message_type").get<std::string>(), letter.payload);
        return outcome.ok() ? "" : outcome.describe();
      }
      const auto doc_id = detail.at("doc_id").get<std::string>();
      journal_->forget_inbound(doc_id);
      std::string why;
      const auto step = take_inbound(doc_id, &why);
      if (step == Step::done && journal_->inbound(doc_id) == Journal::Inbound::acknowledged) return "";
      return why.empty() ? "not done yet; it is pulled again by the running connector" : why;
    } catch (const json::exception&) {
      return "the dead letter's detail is not what this adapter wrote";
    }
  }

 private:
  void open(AdapterContext& context) {
    context_ = &context;
    axis_ = std::make_unique<AxisClient>(settings_);
    const auto& id = context.node.identity();
    node_http_ = std::make_unique<bus::OutboundClient>(bus::OutboundTls{id.ca, id.certificate, id.private_key}, 1,
                                                       4 * 1024 * 1024);
    journal_ = std::make_unique<Journal>(context.state_dir / "journal", max_journal_);
    try {
      journal_->load();
    } catch (const std::exception& e) {
      throw AdapterConfigError("adapter '" + name_ + "'", e.what());
    }
  }

  bool stopping() const { return stop_ || (context_ != nullptr && context_->stopping.load()); }
  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, d, [this] { return stopping(); });
  }
  void axis_health(bool ok, const std::string& detail = "") {
    std::lock_guard lock(health_mutex_);
    axis_ok_ = ok;
    axis_detail_ = bounded(detail);
    context_->metrics.gauge("failing", (axis_ok_ && node_ok_) ? 0 : 1);
  }
  void node_health(bool ok, const std::string& detail = "") {
    std::lock_guard lock(health_mutex_);
    node_ok_ = ok;
    node_detail_ = bounded(detail);
    context_->metrics.gauge("failing", (axis_ok_ && node_ok_) ? 0 : 1);
  }
  // An axis answer that is not what the API says: counted, logged, shown in health; never trusted.
  void axis_trouble(const AxisOutcome& outcome) {
    context_->metrics.count(outcome.kind == AxisOutcome::Kind::malformed ? "axis_malformed" : "axis_unavailable");
    axis_health(false, outcome.describe());
    spdlog::warn("adapter {}: {}", name_, bounded(outcome.describe()));
  }

  AxisOutcome send_to_axis(const std::string& message_id, const std::string& from, const std::vector<std::string>& to,
                           const std::string& message_type, const std::string& package) {
    std::lock_guard lock(send_mutex_);  // one send per message id at a time: the node may deliver again meanwhile
    if (journal_->sent(message_id)) {
      context_->metrics.count("repeated");
      return {AxisOutcome::Kind::ok, 0, "", ""};
    }
    std::string doc_id;
    auto outcome = axis_->send_edoc(from, to, message_type, package, doc_id);
    if (outcome.ok()) {
      journal_->record_sent(message_id, doc_id);
      context_->metrics.count("sent");
      axis_health(true);
      spdlog::info("adapter {}: {} sent to the axis as {}", name_, bounded(message_id, 140), doc_id);
    }
    return outcome;
  }

  bus::HttpResponse deliver(bus::HttpRequest& request) {
    auto verified = context_->deliveries.verify(request);
    if (auto* refusal = std::get_if<DeliveryRefusal>(&verified)) {
      context_->metrics.count("deliveries_refused");
      return bus::problem(errors::kDeliverySeal, bounded(refusal->reason));
    }
    const auto& d = std::get<Delivery>(verified);
    const auto& client = context_->node.identity().client;
    if (d.service != bus::edxml_document_service(client) && d.service != bus::edxml_status_service(client)) {
      context_->metrics.count("deliveries_refused");
      return bus::problem(errors::kWrongService, "this connector takes " + bus::edxml_document_service(client) +
                                                     " and " + bus::edxml_status_service(client) + ", not " +
                                                     bounded(d.service, 200));
    }
    if (auto doc = journal_->sent(d.message_id)) {
      context_->metrics.count("repeated");
      return bus::HttpResponse::json(200, {{"message_id", d.message_id}, {"doc_id", *doc}, {"repeated", true}});
    }
    contracts::edxml::Summary summary;
    try {
      contracts::ParseLimits limits;
      limits.max_document_bytes = settings_.max_document_bytes;
      summary = contracts::edxml::summarize(d.body, limits);
    } catch (const std::exception& e) {
      // The node validated it: a body that does not read here is kept for an operator, never sent.
      context_->dead_letters.add(
          d.message_id, std::string("not an edXML package: ") + bounded(e.what()), d.body,
          json{{"direction", "outbound"}, {"message_id", d.message_id}, {"unreadable", true}}.dump());
      context_->metrics.count("dead_lettered");
      return bus::problem(vxp::errors::kNotEdxml, bounded(e.what()));
    }
    const bool status = summary.kind == contracts::edxml::Summary::Kind::status;
    std::vector<std::string> to;
    const auto organ = organ_of_copy(d.message_id);
    if (status)
      to = {summary.response_to_organ};
    else if (!organ.empty() &&
             std::find(summary.to_organs.begin(), summary.to_organs.end(), organ) != summary.to_organs.end())
      to = {organ};  // one copy per addressee: this one's
    else
      to = summary.to_organs;
    const std::string message_type = status ? "status" : "edoc";
    const json detail = {{"direction", "outbound"},
                         {"message_id", d.message_id},
                         {"service", d.service},
                         {"from", summary.from_organ},
                         {"to", to},
                         {"message_type", message_type},
                         {"document_id", summary.document_id}};
    const auto outcome = send_to_axis(d.message_id, summary.from_organ, to, message_type, d.body);
    switch (outcome.kind) {
      case AxisOutcome::Kind::ok:
        return bus::HttpResponse::json(
            200, {{"message_id", d.message_id}, {"doc_id", journal_->sent(d.message_id).value_or("")}});
      case AxisOutcome::Kind::refused:
        // The axis will not take it as it is (an organ it does not know, a package it refuses): kept with the
        // axis's reason until an operator replays it; the node's delivery is done.
        context_->dead_letters.add(d.message_id, outcome.describe(), d.body, detail.dump());
        context_->metrics.count("refused");
        context_->metrics.count("dead_lettered");
        axis_health(true);
        spdlog::warn("adapter {}: the axis refused {}: {}", name_, bounded(d.message_id, 140),
                     bounded(outcome.describe()));
        return bus::HttpResponse::json(
            200, {{"message_id", d.message_id}, {"dead_lettered", true}, {"reason", bounded(outcome.describe())}});
      case AxisOutcome::Kind::unavailable:
      case AxisOutcome::Kind::malformed:
        axis_trouble(outcome);
        return bus::problem(vxp::errors::kAxisUnavailable, bounded(outcome.describe()));
    }
    return bus::problem(vxp::errors::kAxisUnavailable, "unreachable");
  }

  // POST /v1/edxml/messages as this connector's subsystem.
  struct NodeAnswer {
    enum class Kind { accepted, refused, unavailable } kind = Kind::unavailable;
    std::string detail;
  };
  NodeAnswer submit(const std::string& package) {
    const auto& id = context_->node.identity();
    bus::OutboundRequest r;
    std::string base = id.node_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    r.url = base + "/v1/edxml/messages";
    r.timeout = id.timeout;
    r.headers = {{"Content-Type", "application/xml"}, {"LGSP-Client", id.client}};
    if (!id.api_key.empty()) r.headers.emplace_back("Authorization", "Bearer " + id.api_key);
    r.body = package;
    auto a = node_http_->send_sync(std::move(r));
    NodeAnswer out;
    if (!a.ok()) {
      out.detail = bounded(a.error.empty() ? "no answer from the node" : a.error);
      return out;
    }
    std::string code, problem;
    auto j = json::parse(a.body, nullptr, false);
    if (j.is_object()) {
      if (j.contains("code") && j["code"].is_string()) code = j["code"].get<std::string>();
      if (j.contains("detail") && j["detail"].is_string()) problem = j["detail"].get<std::string>();
      if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object() &&
          j["errors"][0].contains("message") && j["errors"][0]["message"].is_string())
        problem += (problem.empty() ? "" : ": ") + j["errors"][0]["message"].get<std::string>();
    }
    out.detail = bounded(
        std::to_string(a.status) + (code.empty() ? "" : " " + code) + (problem.empty() ? "" : ": " + problem), 1500);
    if (a.status == 200 || a.status == 202)
      out.kind = NodeAnswer::Kind::accepted;
    else if (a.status >= 400 && a.status < 500 && a.status != 408 && a.status != 429)
      out.kind = NodeAnswer::Kind::refused;
    return out;
  }

  // One received document, as far as it goes now: fetched, handed to the node, acknowledged on the axis.
  Step take_inbound(const std::string& doc_id, std::string* why = nullptr) {
    auto state = journal_->inbound(doc_id);
    if (state == Journal::Inbound::dead || state == Journal::Inbound::acknowledged) return Step::done;
    if (!state) {
      std::string package;
      auto got = axis_->get_edoc(doc_id, package);
      if (got.kind == AxisOutcome::Kind::unavailable) {
        axis_trouble(got);
        if (why) *why = got.describe();
        return Step::retry_later;
      }
      if (!got.ok()) {
        // Refused, or an answer that is not what the API says: recorded, nothing forwarded; an operator replays it.
        if (got.kind == AxisOutcome::Kind::malformed) axis_trouble(got);
        context_->dead_letters.add("axis " + doc_id, "getEdoc: " + got.describe(), "",
                                   json{{"direction", "inbound"}, {"doc_id", doc_id}}.dump());
        context_->metrics.count("dead_lettered");
        journal_->record_inbound(doc_id, Journal::Inbound::dead);
        if (why) *why = got.describe();
        return Step::done;
      }
      const auto answer = submit(package);
      switch (answer.kind) {
        case NodeAnswer::Kind::unavailable:
          context_->metrics.count("node_unavailable");
          node_health(false, answer.detail);
          if (why) *why = "node unavailable: " + answer.detail;
          return Step::retry_later;
        case NodeAnswer::Kind::refused: {
          // The package fails the receive profile, or its organs are not registered: the node's reason is kept,
          // nothing is forwarded, and the axis hears "fail" so the sender learns it was not taken.
          node_health(true);
          context_->dead_letters.add("axis " + doc_id, "the node refused it: " + answer.detail, package,
                                     json{{"direction", "inbound"}, {"doc_id", doc_id}}.dump());
          context_->metrics.count("inbound_refused");
          context_->metrics.count("dead_lettered");
          journal_->record_inbound(doc_id, Journal::Inbound::dead);
          spdlog::warn("adapter {}: axis document {} refused by the node: {}", name_, doc_id, answer.detail);
          const auto fail = axis_->update_status(doc_id, "fail");
          if (!fail.ok()) spdlog::warn("adapter {}: updateStatus fail {}: {}", name_, doc_id, fail.describe());
          if (why) *why = "the node refused it: " + answer.detail;
          return Step::done;
        }
        case NodeAnswer::Kind::accepted:
          node_health(true);
          journal_->record_inbound(doc_id, Journal::Inbound::forwarded);
          context_->metrics.count("received");
          break;
      }
    }
    // Forwarded (now or before a restart): acknowledged on the axis once.
    auto acked = axis_->update_status(doc_id, "done");
    if (acked.ok()) {
      journal_->record_inbound(doc_id, Journal::Inbound::acknowledged);
      context_->metrics.count("acknowledged");
      axis_health(true);
      return Step::done;
    }
    if (acked.kind == AxisOutcome::Kind::refused) {
      // The axis no longer holds it as ours to acknowledge: nothing more to do for it.
      spdlog::warn("adapter {}: updateStatus done {}: {}", name_, doc_id, acked.describe());
      journal_->record_inbound(doc_id, Journal::Inbound::acknowledged);
      return Step::done;
    }
    axis_trouble(acked);
    if (why) *why = acked.describe();
    return Step::retry_later;
  }

  void poll() {
    Backoff backoff(initial_backoff_, max_backoff_);
    while (!stopping()) {
      bool trouble = false;
      std::int64_t waiting = 0;
      for (const char* type : {"edoc", "status"}) {
        std::vector<vxp::ReceivedEdoc> items;
        std::vector<std::string> rejected;
        const auto listed = axis_->list_received(type, items, rejected);
        for (const auto& why : rejected) {
          context_->metrics.count("axis_malformed");
          spdlog::warn("adapter {}: {}", name_, bounded(why));
        }
        if (!listed.ok()) {
          // Refused, unavailable or malformed alike: nothing of the answer is used, and the next round asks again.
          axis_trouble(listed);
          trouble = true;
          break;
        }
        for (const auto& item : items) {
          if (stopping()) return;
          const auto state = journal_->inbound(item.doc_id);
          if (state == Journal::Inbound::dead || state == Journal::Inbound::acknowledged) continue;
          ++waiting;
          if (take_inbound(item.doc_id) == Step::retry_later) {
            trouble = true;
            break;
          }
          --waiting;
        }
        if (trouble) break;
      }
      {
        std::lock_guard lock(health_mutex_);
        backlog_ = trouble ? std::max<std::int64_t>(waiting, backlog_) : 0;
      }
      context_->metrics.gauge("backlog", static_cast<double>(backlog_));
      if (trouble) {
        pause(backoff.next());
      } else {
        backoff.reset();
        axis_health(true);
        pause(poll_interval_);
      }
    }
  }

  std::string name_;
  vxp::AxisSettings settings_;
  bool inbound_ = true;
  std::chrono::milliseconds poll_interval_{5000}, initial_backoff_{500}, max_backoff_{60000};
  unsigned workers_count_ = 2;
  std::size_t max_journal_ = 100000;

  AdapterContext* context_ = nullptr;
  std::unique_ptr<AxisClient> axis_;
  std::unique_ptr<bus::OutboundClient> node_http_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<bus::WorkerRoutes> workers_;
  std::mutex send_mutex_;
  std::thread poller_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};

  mutable std::mutex health_mutex_;
  bool axis_ok_ = true, node_ok_ = true;
  std::string axis_detail_, node_detail_;
  std::int64_t backlog_ = 0;
};

}  // namespace

std::unique_ptr<Adapter> make_vxp_adapter(ConfigTable& table) { return std::make_unique<VxpAdapter>(table); }

}  // namespace lgsp::adapters
