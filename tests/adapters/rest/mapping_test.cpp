// The mapping engine against the project's real contracts: what it does to a record, and what it refuses
// at load (a mapping that cannot fit the contract) and per record (naming the field).
#include "mapping.hpp"
#include "mapping_config.hpp"

#include "lgsp/contracts/catalogue.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace {
using namespace lgsp::adapters::rest;
using json = nlohmann::json;

const lgsp::contracts::Catalogue& catalogue() {
  static const auto c = lgsp::contracts::Catalogue::load(std::string(LGSP_SOURCE_DIR) + "/contracts");
  return c;
}

json schema(const std::string& id) { return load_contract_schema(*catalogue().find(id)); }

// A legacy civil-status system's request for an extract, in its own names.
MappingSpec trichluc_request() {
  MappingSpec s;
  s.direction = Direction::to_contract;
  s.fields = {{"maYeuCau", "request_id"},
              {"loaiSuKien", "event_type"},
              {"nguoiDuocCap.hoTen", "lookup.person.full_name"},
              {"nguoiDuocCap.ngaySinh", "lookup.person.date_of_birth"},
              {"nguoiYeuCau.hoTen", "requester.full_name"},
              {"nguoiYeuCau.soDinhDanh", "requester.id_number"},
              {"nguoiYeuCau.quanHe", "requester.relation"},
              {"mucDich", "purpose"},
              {"soBan", "copies"},
              {"thoiGianYeuCau", "requested_at"}};
  s.dates = {{"nguoiDuocCap.ngaySinh", "dd/MM/yyyy"}, {"thoiGianYeuCau", "dd/MM/yyyy HH:mm:ss"}};
  s.values = {{"loaiSuKien", {{"KS", "birth"}, {"KT", "death"}}},
              {"nguoiYeuCau.quanHe", {{"BT", "self"}, {"CHA", "parent"}, {"ME", "parent"}}}};
  s.defaults = {{"copies", "1"}};
  return s;
}

json legacy_request() {
  return json::parse(R"({"maYeuCau": "YC-0001", "loaiSuKien": "KS",
    "nguoiDuocCap": {"hoTen": "Nguyễn Văn An", "ngaySinh": "25/12/1990"},
    "nguoiYeuCau": {"hoTen": "Nguyễn Văn Bình", "soDinhDanh": "079090001234", "quanHe": "CHA"},
    "mucDich": "Bổ sung hồ sơ", "thoiGianYeuCau": "01/03/2026 08:30:00", "ghiChu": "không dùng"})");
}

Mapping compile(const MappingSpec& s, const std::string& contract) {
  const json doc = schema(contract);
  return Mapping::compile(s, &doc, contract);
}

std::string load_error(const MappingSpec& s, const std::string& contract) {
  try {
    compile(s, contract);
  } catch (const MappingLoadError& e) {
    return e.what();
  }
  return "(compiled)";
}

MappingFailure failure(const Mapping& m, const json& in) {
  auto out = m.apply(in);
  EXPECT_TRUE(std::holds_alternative<MappingFailure>(out)) << std::get<json>(out).dump();
  return std::holds_alternative<MappingFailure>(out) ? std::get<MappingFailure>(out) : MappingFailure{};
}

TEST(Mapping, renames_nests_converts_dates_and_value_tables_into_a_valid_contract_document) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  auto out = m.apply(legacy_request());
  ASSERT_TRUE(std::holds_alternative<json>(out)) << std::get<MappingFailure>(out).describe();
  const json& doc = std::get<json>(out);
  EXPECT_EQ(doc["request_id"], "YC-0001");
  EXPECT_EQ(doc["event_type"], "birth");
  EXPECT_EQ(doc["lookup"]["person"]["full_name"], "Nguyễn Văn An");
  EXPECT_EQ(doc["lookup"]["person"]["date_of_birth"], "1990-12-25");
  EXPECT_EQ(doc["requester"]["relation"], "parent");
  EXPECT_EQ(doc["requested_at"], "2026-03-01T08:30:00+07:00");
  EXPECT_EQ(doc["copies"], 1);  // the default, typed as the contract's integer
  EXPECT_FALSE(doc.contains("ghiChu"));
  const auto valid = catalogue().find("hotich.trichluc-request@v1")->validate(doc.dump(), {});
  EXPECT_TRUE(valid.valid()) << lgsp::contracts::to_text(valid.errors);
}

TEST(Mapping, a_string_number_becomes_the_contracts_integer_and_a_bad_one_is_named) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  auto in = legacy_request();
  in["soBan"] = "3";
  EXPECT_EQ(std::get<json>(m.apply(in))["copies"], 3);
  in["soBan"] = "ba";
  const auto f = failure(m, in);
  EXPECT_EQ(f.field, "soBan");
  EXPECT_NE(f.reason.find("expected integer"), std::string::npos) << f.reason;
}

TEST(Mapping, a_missing_required_field_is_named_by_its_legacy_name) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  auto in = legacy_request();
  in["nguoiYeuCau"].erase("soDinhDanh");
  const auto f = failure(m, in);
  EXPECT_EQ(f.field, "nguoiYeuCau.soDinhDanh");
  EXPECT_NE(f.reason.find("requester.id_number"), std::string::npos) << f.reason;
}

TEST(Mapping, a_value_outside_the_value_table_is_named) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  auto in = legacy_request();
  in["loaiSuKien"] = "XX";
  EXPECT_EQ(failure(m, in).field, "loaiSuKien");
}

TEST(Mapping, a_date_in_another_format_is_named) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  auto in = legacy_request();
  in["nguoiDuocCap"]["ngaySinh"] = "1990-12-25";
  const auto f = failure(m, in);
  EXPECT_EQ(f.field, "nguoiDuocCap.ngaySinh");
  EXPECT_NE(f.reason.find("dd/MM/yyyy"), std::string::npos);
  in["nguoiDuocCap"]["ngaySinh"] = 19901225;
  EXPECT_EQ(failure(m, in).field, "nguoiDuocCap.ngaySinh");
}

TEST(Mapping, a_record_that_is_not_an_object_is_refused) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  EXPECT_EQ(failure(m, json::array()).field, "(document)");
}

TEST(Mapping, a_contract_error_is_traced_back_to_the_legacy_field) {
  const auto m = compile(trichluc_request(), "hotich.trichluc-request@v1");
  EXPECT_EQ(m.source_of("/lookup/person/date_of_birth"), "nguoiDuocCap.ngaySinh");
  EXPECT_EQ(m.source_of("/requester", "Missing required property 'id_number'."), "nguoiYeuCau.soDinhDanh");
  EXPECT_EQ(m.source_of("/unmapped"), "unmapped");
}

TEST(Mapping, constants_are_always_set_and_defaults_fill_only_gaps) {
  MappingSpec s;
  s.fields = {{"maHoSo", "dossier_code"}, {"trangThai", "status"}, {"donVi", "unit"},
              {"canBo", "actor.name"},    {"ghiChu", "comment"},   {"thoiGian", "changed_at"}};
  s.values = {{"trangThai", {{"MOI", "1"}, {"DA_TIEP_NHAN", "2"}, {"HOAN_THANH", "9"}}}};
  s.dates = {{"thoiGian", "dd/MM/yyyy HH:mm"}};
  s.defaults = {{"comment", ""}};
  s.constants = {{"unit", "000.00.13.H29"}, {"status_name", "cập nhật từ hệ thống cũ"}};
  // "unit" is given by a field and by a constant: refused as given twice.
  EXPECT_NE(load_error(s, "onestop.dossier-status@v1").find("given twice"), std::string::npos);
  s.fields.erase(s.fields.begin() + 2);
  const auto m = compile(s, "onestop.dossier-status@v1");
  auto out = m.apply(json::parse(
      R"({"maHoSo": "000.00.13.H29-261122-0001", "trangThai": "DA_TIEP_NHAN", "canBo": "Lê Thị Cúc", "thoiGian": "22/11/2026 14:05"})"));
  ASSERT_TRUE(std::holds_alternative<json>(out)) << std::get<MappingFailure>(out).describe();
  const json& doc = std::get<json>(out);
  EXPECT_EQ(doc["status"], 2);  // the value table's text, typed as the contract's integer
  EXPECT_EQ(doc["unit"], "000.00.13.H29");
  EXPECT_EQ(doc["comment"], "");
  EXPECT_EQ(doc["changed_at"], "2026-11-22T14:05:00+07:00");
  const auto valid = catalogue().find("onestop.dossier-status@v1")->validate(doc.dump(), {});
  EXPECT_TRUE(valid.valid()) << lgsp::contracts::to_text(valid.errors);
}

TEST(Mapping, from_contract_maps_names_values_and_dates_back_to_the_legacy_system) {
  MappingSpec s;
  s.direction = Direction::from_contract;
  s.fields = {{"request_id", "maYeuCau"},
              {"status", "ketQua.trangThai"},
              {"extract.issued_at", "ketQua.ngayCap"},
              {"extract.person.full_name", "ketQua.hoTen"},
              {"message", "thongBao"}};
  s.values = {{"status", {{"found", "1"}, {"not_found", "2"}, {"refused", "3"}}}};
  s.dates = {{"extract.issued_at", "dd/MM/yyyy HH:mm"}};
  s.legacy_types = {{"ketQua.trangThai", "integer"}};
  const auto m = compile(s, "hotich.trichluc-result@v1");
  auto out = m.apply(json::parse(R"({"request_id": "YC-1", "status": "found",
      "extract": {"issued_at": "2026-03-01T02:00:00Z", "person": {"full_name": "An"}}})"));
  ASSERT_TRUE(std::holds_alternative<json>(out)) << std::get<MappingFailure>(out).describe();
  const json& doc = std::get<json>(out);
  EXPECT_EQ(doc["maYeuCau"], "YC-1");
  EXPECT_EQ(doc["ketQua"]["trangThai"], 1);
  EXPECT_EQ(doc["ketQua"]["ngayCap"], "01/03/2026 09:00");
  EXPECT_EQ(doc["ketQua"]["hoTen"], "An");
  EXPECT_FALSE(doc.contains("thongBao"));  // absent and optional: left out
}

TEST(MappingLoad, refuses_a_target_the_contract_does_not_have) {
  auto s = trichluc_request();
  s.fields.emplace_back("diaChi", "requester.address");
  const auto why = load_error(s, "hotich.trichluc-request@v1");
  EXPECT_EQ(why.rfind("fields.diaChi: 'requester.address' is not in the contract", 0), 0u) << why;
  EXPECT_NE(why.find("'requester' has no field 'address'"), std::string::npos) << why;
}

TEST(MappingLoad, refuses_a_date_format_on_a_field_the_contract_types_as_integer) {
  auto s = trichluc_request();
  s.dates["soBan"] = "dd/MM/yyyy";
  EXPECT_EQ(load_error(s, "hotich.trichluc-request@v1").rfind("dates.soBan:", 0), 0u);
}

TEST(MappingLoad, refuses_a_value_table_entry_the_contract_does_not_allow) {
  auto s = trichluc_request();
  s.values["loaiSuKien"]["KH"] = "wedding";
  const auto why = load_error(s, "hotich.trichluc-request@v1");
  EXPECT_EQ(why.rfind("values.loaiSuKien.KH:", 0), 0u) << why;
}

TEST(MappingLoad, refuses_a_mapping_that_leaves_a_required_field_uncovered) {
  auto s = trichluc_request();
  s.fields.erase(s.fields.begin() + 7);  // mucDich -> purpose
  const auto why = load_error(s, "hotich.trichluc-request@v1");
  EXPECT_NE(why.find("'purpose'"), std::string::npos) << why;
  s.defaults["purpose"] = "Bổ sung hồ sơ";  // a default covers it
  EXPECT_EQ(load_error(s, "hotich.trichluc-request@v1"), "(compiled)");
}

TEST(MappingLoad, refuses_an_incomplete_nested_object) {
  auto s = trichluc_request();
  s.fields.erase(s.fields.begin() + 3);  // the person's date of birth: no alternative of lookup is complete
  s.dates.erase("nguoiDuocCap.ngaySinh");
  const auto why = load_error(s, "hotich.trichluc-request@v1");
  EXPECT_NE(why.find("lookup"), std::string::npos) << why;
}

TEST(MappingLoad, refuses_a_default_of_the_wrong_type_and_overlapping_targets) {
  auto s = trichluc_request();
  s.defaults["copies"] = "one";
  EXPECT_EQ(load_error(s, "hotich.trichluc-request@v1").rfind("defaults.copies:", 0), 0u);
  s = trichluc_request();
  s.fields.emplace_back("nguoiYeuCau", "requester");
  EXPECT_NE(load_error(s, "hotich.trichluc-request@v1").find("overlap"), std::string::npos);
}

TEST(MappingLoad, from_contract_refuses_a_value_table_missing_a_contract_value) {
  MappingSpec s;
  s.direction = Direction::from_contract;
  s.fields = {{"request_id", "maYeuCau"}, {"status", "trangThai"}};
  s.values = {{"status", {{"found", "1"}, {"not_found", "2"}}}};
  const auto why = load_error(s, "hotich.trichluc-result@v1");
  EXPECT_NE(why.find("\"refused\""), std::string::npos) << why;
  s.fields.emplace_back("statut", "x");
  s.values["status"]["refused"] = "3";
  EXPECT_EQ(load_error(s, "hotich.trichluc-result@v1").rfind("fields.statut:", 0), 0u);
}

TEST(MappingLoad, refuses_tables_for_unmapped_fields_and_bad_legacy_types) {
  auto s = trichluc_request();
  s.dates["khongCo"] = "dd/MM/yyyy";
  EXPECT_EQ(load_error(s, "hotich.trichluc-request@v1").rfind("dates.khongCo:", 0), 0u);
  MappingSpec b;
  b.direction = Direction::from_contract;
  b.fields = {{"request_id", "maYeuCau"}};
  b.legacy_types = {{"maYeuCau", "text"}};
  EXPECT_EQ(load_error(b, "hotich.trichluc-result@v1").rfind("legacy_types.maYeuCau:", 0), 0u);
}

}  // namespace
