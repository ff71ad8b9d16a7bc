// Two one-stop office instances (`lgsp onestop serve`) on one real PostgreSQL 15 ([store] backend = "postgresql"),
// sharing one data folder (files, file-link key): dossiers filed concurrently on both get unique, gap-free codes; a
// dossier filed on one is processed on the other; the portal outbox read by cursor on one while both write misses
// no record; the bus outbox of both reaches the bus once per message; kill -9 of one instance mid-filing loses
// nothing it acknowledged; a database outage is answered 503 with Retry-After and the office goes on by itself.
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/router.hpp"
#include "office_process.hpp"
#include "postgres_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::OfficeProcess;
using nlohmann::json;

namespace {

const std::string kWard = "000.00.13.H29";
const fs::path kSamples = LGSP_SOURCE_DIR "/onestop/samples";

// The sequence number of a code "<agency>-<yymmdd>-<seq>".
long seq_of(const std::string& code) { return std::stol(code.substr(code.rfind('-') + 1)); }

// Every code of the ward's dossiers in the database is 1..n of its day, without a gap.
void expect_gap_free(const std::vector<std::string>& codes) {
  std::map<std::string, std::set<long>> by_day;
  for (const auto& c : codes) by_day[c.substr(0, c.rfind('-'))].insert(seq_of(c));
  for (const auto& [day, seqs] : by_day) {
    EXPECT_EQ(*seqs.begin(), 1) << day;
    EXPECT_EQ(static_cast<std::size_t>(*seqs.rbegin()), seqs.size()) << day << ": a gap or a repeat";
  }
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start) out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

TEST(OnestopPgInstances, two_instances_on_one_postgresql_share_dossiers_codes_and_outbox_and_survive_kill_9) {
  const fs::path dir = fs::temp_directory_path() / ("lgsp-onestop-pg-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "shared");

  lgsp::test::PostgresServer pg;
  pg.sql("CREATE DATABASE lgsp_office");
  const std::string store = "backend = \"postgresql\"\npostgresql_url = \"" + pg.conninfo("lgsp_office") +
                            "\"\npool_size = 2\ndata_dir = \"" + (dir / "shared").string() + "\"\n";

  // The bus as the offices' senders see it: POST /v1/messages, answered 202; every message id it gets counted.
  std::mutex bus_mutex;
  std::map<std::string, int> bus_received;
  lgsp::bus::Router bus_router;
  bus_router.add("POST", "/v1/messages", [&](lgsp::bus::HttpRequest& r, lgsp::bus::Reply reply) {
    {
      std::lock_guard lock(bus_mutex);
      ++bus_received[r.header("lgsp-message-id").value_or("")];
    }
    reply(lgsp::bus::HttpResponse::json(202, json::object()));
  });
  lgsp::bus::HttpServerOptions bus_options;
  bus_options.listen = lgsp::bus::HostPort{"127.0.0.1", 0};
  bus_options.threads = 2;
  lgsp::bus::HttpServer bus(bus_options, bus_router);
  bus.start();
  // The seal settings an office with a bus link needs (deliveries to it are not part of this test).
  auto cert = lgsp::test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", (dir / "node.key").string(), "-out",
                               (dir / "node.pem").string(), "-subj", "/CN=lgsp test node", "-days", "2"});
  ASSERT_EQ(cert.exit_code, 0) << cert.err;
  std::ofstream(dir / "bus.key") << "test-api-key\n";
  const std::string bus_link = "[bus]\nurl = \"http://" + bus.local_endpoint().to_string() + "\"\napi_key_file = \"" +
                               (dir / "bus.key").string() + "\"\ntrust_roots = \"" + (dir / "node.pem").string() +
                               "\"\nnode_certificates = \"" + (dir / "node.pem").string() + "\"\nretry_seconds = 1\n";
  OfficeProcess a(dir / "a", kWard, "UBND phường Bến Thành", {}, bus_link, store);
  OfficeProcess b(dir / "b", kWard, "UBND phường Bến Thành", {}, bus_link, store);

  // The CLI writes to the shared database: what it imports through A's config, B sees.
  auto imported = a.cli({"procedure", "import", (kSamples / "procedures.json").string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string receiving = a.add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
  const std::string processing = b.add_user("hung", "processing", "Lê Văn Hùng", "Công chức Tư pháp - Hộ tịch");
  const std::string admin = a.add_user("admin", "admin", "Quản trị");
  const std::string leader = a.add_user("minh", "leader", "Đỗ Quang Minh", "Phó Chủ tịch UBND phường");
  a.start();
  b.start();

  auto profile = a.call("POST", "/onestop/v1/profiles", receiving,
                        {{"full_name", "Nguyễn Thị Mai"},
                         {"id_number", "079195000001"},
                         {"date_of_birth", "1995-03-14"},
                         {"gender", "female"},
                         {"hometown", "Xã Hải Hậu, tỉnh Nam Định"},
                         {"ethnicity", "Kinh"},
                         {"nationality", "Việt Nam"},
                         {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                         {"phone", "0912345678"}});
  ASSERT_EQ(profile.status, 201u) << profile.raw;
  const std::string customer = profile.body["customer_code"];
  // Uploaded once on A: B attaches the same files, read from the shared folder.
  auto upload = [&](const std::string& text) {
    auto r = a.send("POST", "/onestop/v1/files", receiving,
                    "%PDF-1.4\n% " + text + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "application/pdf");
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("sha256", "");
  };
  const json filing = {{"procedure_code", "1.001193"},
                       {"customer_code", customer},
                       {"channel", 1},
                       {"documents",
                        {{{"code", "TK"}, {"sha256", upload("to khai")}},
                         {{"code", "GCS"}, {"sha256", upload("giay chung sinh")}},
                         {{"code", "GTTT"}, {"sha256", upload("can cuoc")}}}}};

  // 1. Concurrent filing on both instances, while an admin pages the portal outbox by cursor on B.
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> refused{0};
  auto file_on = [&](OfficeProcess& office, int count) {
    for (int i = 0; i < count; ++i) {
      auto r = office.call("POST", "/onestop/v1/dossiers", receiving, filing);
      if (r.status != 201u) {
        ++refused;
        ADD_FAILURE() << r.raw;
        continue;
      }
      std::lock_guard lock(mutex);
      acknowledged.push_back(r.body["code"]);
    }
  };
  std::atomic<bool> filing_done{false};
  std::set<std::int64_t> seen_by_cursor;
  std::int64_t cursor = 0;
  auto page_outbox = [&] {
    for (;;) {
      auto r = b.call("GET", "/onestop/v1/outbox?after=" + std::to_string(cursor) + "&limit=100", admin);
      ASSERT_EQ(r.status, 200u) << r.raw;
      for (const auto& rec : r.body["records"]) {
        std::int64_t id = rec["id"];
        EXPECT_GT(id, cursor) << "ids after the cursor only";
        seen_by_cursor.insert(id);
        cursor = id;
      }
      if (r.body["records"].empty() && filing_done) return;
      if (r.body["records"].empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  {
    std::thread reader(page_outbox);
    std::thread on_a(file_on, std::ref(a), 50), on_b(file_on, std::ref(b), 50);
    on_a.join();
    on_b.join();
    filing_done = true;
    reader.join();
  }
  ASSERT_EQ(acknowledged.size(), 100u);
  EXPECT_EQ(std::set<std::string>(acknowledged.begin(), acknowledged.end()).size(), 100u) << "no code twice";
  expect_gap_free(acknowledged);
  // Records commit in id order (the office's writes are exclusive across instances): the cursor skipped none.
  std::set<std::int64_t> all;
  for (std::int64_t after = 0;;) {
    auto r = a.call("GET", "/onestop/v1/outbox?after=" + std::to_string(after) + "&limit=100", admin);
    ASSERT_EQ(r.status, 200u);
    if (r.body["records"].empty()) break;
    for (const auto& rec : r.body["records"]) all.insert(after = rec["id"].get<std::int64_t>());
  }
  EXPECT_GE(all.size(), 200u) << "two records per filed dossier";
  EXPECT_EQ(seen_by_cursor, all) << "a record committed behind the cursor would be lost to the portal";

  // 2. Filed on A, processed on B, seen on A.
  const std::string code = acknowledged.front();
  auto h1 = b.call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving, json::object());
  ASSERT_EQ(h1.status, 200u) << h1.raw;
  auto h2 = a.call("POST", "/onestop/v1/dossiers/" + code + "/handover", processing, {{"comment", "Hồ sơ hợp lệ"}});
  ASSERT_EQ(h2.status, 200u) << h2.raw;
  EXPECT_EQ(h2.body["current_step"], 3);
  auto seen = b.call("GET", "/onestop/v1/dossiers/" + code, processing);
  ASSERT_EQ(seen.status, 200u) << seen.raw;
  EXPECT_EQ(seen.body["current_step"], 3) << "B reads what A changed";
  auto again = b.call("POST", "/onestop/v1/dossiers/" + code + "/handover", processing, {{"comment", "lần hai"}});
  EXPECT_NE(again.status, 200u) << "step 3 is the leader's, on B too: " << again.raw;

  // 3. Inter-agency dossiers (1.012788: step 4 is the police's) handed over on both instances: each hand-over to
  // step 4 queues one message for the bus, and both instances' senders drain the one outbox.
  std::vector<std::string> to_police;
  for (int i = 0; i < 12; ++i) {
    OfficeProcess& on = i % 2 ? b : a;
    OfficeProcess& other = i % 2 ? a : b;
    auto r = on.call("POST", "/onestop/v1/dossiers", receiving,
                     {{"procedure_code", "1.012788"},
                      {"customer_code", customer},
                      {"channel", 2},
                      {"documents",
                       {{{"code", "TKLT"}, {"sha256", filing["documents"][0]["sha256"]}},
                        {{"code", "GCS"}, {"sha256", filing["documents"][1]["sha256"]}}}}});
    ASSERT_EQ(r.status, 201u) << r.raw;
    const std::string c = r.body["code"];
    for (const auto& [office, token] :
         std::vector<std::pair<OfficeProcess*, std::string>>{{&on, receiving}, {&other, processing}, {&on, leader}}) {
      auto h = office->call("POST", "/onestop/v1/dossiers/" + c + "/handover", token, json::object());
      ASSERT_EQ(h.status, 200u) << h.raw;
    }
    to_police.push_back(c + "-step-4");
  }
  bool drained = false;
  for (int i = 0; i < 200 && !drained; ++i) {
    auto pending = a.call("GET", "/onestop/v1/bus-outbox?pending=1", admin);
    drained = pending.status == 200u && pending.body["messages"].empty();
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(drained) << a.log().substr(0, 3000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a second sender would have sent again by now
  {
    std::lock_guard lock(bus_mutex);
    for (const auto& id : to_police) EXPECT_EQ(bus_received[id], 1) << id << ": sent once, by one instance";
    EXPECT_EQ(bus_received.size(), to_police.size());
  }

  // 4. kill -9 of A while it files: everything A acknowledged is there, B goes on, codes stay gap-free.
  std::atomic<bool> stop_filing{false};
  std::vector<std::string> acked_by_a;
  std::atomic<std::size_t> acked{0};
  std::thread on_a([&] {
    while (!stop_filing) {
      try {
        auto r = a.call("POST", "/onestop/v1/dossiers", receiving, filing);
        if (r.status != 201u) return;
        std::lock_guard lock(mutex);
        acked_by_a.push_back(r.body["code"]);
        ++acked;
      } catch (const std::exception&) {  // the connection died with the process: not acknowledged
        return;
      }
    }
  });
  while (acked < 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  a.kill();
  stop_filing = true;
  on_a.join();
  ASSERT_GE(acked_by_a.size(), 5u);
  for (const auto& c : acked_by_a) {
    auto r = b.call("GET", "/onestop/v1/dossiers/" + c, receiving);
    EXPECT_EQ(r.status, 200u) << c << " was acknowledged by A before it died: " << r.raw;
  }
  auto after_kill = b.call("POST", "/onestop/v1/dossiers", receiving, filing);
  ASSERT_EQ(after_kill.status, 201u) << after_kill.raw;
  expect_gap_free(lines(pg.sql("SELECT code FROM dossiers", "lgsp_office")));
  a.start();
  EXPECT_EQ(a.call("POST", "/onestop/v1/dossiers", receiving, filing).status, 201u) << "A restarted on the database";

  // 5. The database goes away: 503 with Retry-After, never a wrong 201; back by itself when it returns.
  pg.stop();
  auto down = b.call("POST", "/onestop/v1/dossiers", receiving, filing);
  EXPECT_EQ(down.status, 503u) << down.raw;
  EXPECT_EQ(down.headers["retry-after"], "1") << down.raw;
  EXPECT_EQ(down.body.value("code", ""), "LGSP-503-ONESTOP-STORE") << down.raw;
  pg.start();
  unsigned status = 0;
  for (int i = 0; i < 100 && status != 201u; ++i) {
    status = b.call("POST", "/onestop/v1/dossiers", receiving, filing).status;
    if (status != 201u) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 201u) << "B reconnected by itself: " << b.log().substr(0, 4000);
  expect_gap_free(lines(pg.sql("SELECT code FROM dossiers", "lgsp_office")));
  EXPECT_EQ(refused.load(), 0);

  // 6. A third instance with a folder of its own (not the shared one) refuses to start: its uploads and file links
  // would be lost to the others.
  OfficeProcess c(dir / "c", kWard, "UBND phường Bến Thành", {}, "",
                  "backend = \"postgresql\"\npostgresql_url = \"" + pg.conninfo("lgsp_office") + "\"\ndata_dir = \"" +
                      (dir / "c" / "local").string() + "\"\n");
  auto refused_start = lgsp::test::run(
      {"/usr/bin/timeout", "30", LGSP_BINARY, "onestop", "serve", "--config", (dir / "c" / "onestop.toml").string()});
  EXPECT_EQ(refused_start.exit_code, 2) << refused_start.out << refused_start.err;
  EXPECT_NE(refused_start.err.find("is not the data folder the other office instances"), std::string::npos)
      << refused_start.err;

  a.stop();
  b.stop();
  fs::remove_all(dir);
}

}  // namespace
