// The office core in process for unit tests: a real SQLite store in a temporary folder, the sample calendar and
// procedures, a clock the test moves (now_), one official per role of the ward, and a birth registration to file.
#pragma once

#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/schema.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace lgsp::onestop::test_support {

inline const std::string kWard = "000.00.13.H29";

inline TimePoint at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

class OfficeFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lgsp-office-unit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = open_onestop_store(dir_);
    files_ = std::make_unique<FileStore>(dir_ / "files");
    AgencyConfig agency;
    agency.code = kWard;
    agency.name = "UBND phường Bến Thành";
    office_ = std::make_unique<OneStopOffice>(*store_, *files_,
                                              WorkingCalendar::load(LGSP_SOURCE_DIR "/onestop/samples/calendar.json"),
                                              agency, [this] { return now_; });
    std::ifstream in(LGSP_SOURCE_DIR "/onestop/samples/procedures.json");
    std::stringstream text;
    text << in.rdbuf();
    office_->import_procedures(catalogue_from_json(nlohmann::json::parse(text.str())));
  }
  void TearDown() override {
    office_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A citizen's e-profile, made at the desk; returns its customer code.
  std::string profile(const std::string& id_number) {
    return office_
        ->create_profile(desk_, {.full_name = "Nguyễn Văn Bình",
                                 .id_number = id_number,
                                 .date_of_birth = "1988-01-02",
                                 .gender = "male",
                                 .hometown = "Huế",
                                 .ethnicity = "Kinh",
                                 .nationality = "Việt Nam",
                                 .permanent_address = "1 Lê Lợi"})
        .customer_code;
  }
  // A small PDF uploaded by `by` (the desk unless named); returns its SHA-256.
  std::string pdf(const std::string& text) { return pdf(text, desk_); }
  std::string pdf(const std::string& text, const Actor& by) {
    return office_->upload(by, "%PDF-1.4 " + text, "application/pdf").sha256;
  }
  // A birth registration (1.001193) filed at the desk with its three documents.
  Dossier birth(const std::string& customer) {
    return office_->file_dossier(desk_, {.procedure_code = "1.001193",
                                         .customer_code = customer,
                                         .documents = {{"TK", pdf("tk")}, {"GCS", pdf("gcs")}, {"GTTT", pdf("cccd")}}});
  }

  std::filesystem::path dir_;
  TimePoint now_ = at("2026-11-23T08:00:00+07:00");  // a Monday
  std::unique_ptr<lgsp::bus::Store> store_;
  std::unique_ptr<FileStore> files_;
  std::unique_ptr<OneStopOffice> office_;
  Actor desk_{"lan", "Trần Thị Lan", "Một cửa", Role::kReceiving, kWard, ""};
  Actor clerk_{"hung", "Lê Văn Hùng", "Hộ tịch", Role::kProcessing, kWard, ""};
  Actor leader_{"minh", "Đỗ Quang Minh", "Phó Chủ tịch", Role::kLeader, kWard, ""};
};

}  // namespace lgsp::onestop::test_support
