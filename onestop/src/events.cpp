#include "events.hpp"

#include "lgsp/onestop/file_links.hpp"

namespace lgsp::onestop::detail {
using nlohmann::json;

std::string file_url(const AgencyConfig& agency, const std::string& sha256, TimePoint at) {
  if (!agency.file_links) return agency.public_url + "/onestop/v1/files/" + sha256;
  return agency.file_links->url(agency.public_url, sha256, at + std::chrono::days(agency.file_link_days));
}

namespace {

std::string dvcqg_time(const std::optional<TimePoint>& t) { return t ? format_dvcqg(*t) : std::string(); }

// DongBoHoSoMC as the national portal takes it (field names and formats fixed by DVCQG: dates yyyyMMddHHmmss,
// booleans "True"/"False", enums as strings, files by download URL).
json dong_bo_ho_so(Repos& repos, const AgencyConfig& agency, const DossierRecord& d, bool is_new, TimePoint at) {
  json files = json::array();
  json results = json::array();
  for (const auto& doc : repos.dossiers().documents(d.code)) {
    // The portal has no account here: it fetches each file by an expiring signed link.
    std::string url = file_url(agency, doc.sha256, at);
    if (doc.kind == "result")
      results.push_back({{"GiayToId", doc.sha256.substr(0, 16)},
                         {"TenGiayTo", doc.name},
                         {"MaThanhPhanHoSo", doc.code.empty() ? "KQ" : doc.code},
                         {"DuongDanTepTinKetQua", url}});
    else if (doc.kind == "submitted" || doc.kind == "supplement")
      files.push_back({{"TepDinhKemId", doc.sha256.substr(0, 16)},
                       {"TenTepDinhKem", doc.name},
                       {"IsDeleted", "False"},
                       {"MaThanhPhanHoSo", doc.code},
                       {"DuongDanTaiTepTin", url}});
  }
  std::string field_code, field_name;
  if (auto p = repos.procedures().version(d.procedure_code, d.procedure_version)) {
    field_code = p->field_code;
    field_name = p->field_name;
  }
  std::string unit_name;
  for (const auto& s : repos.dossiers().steps(d.code))
    if (s.index == d.current_step) unit_name = s.unit_name;
  json r = {{"MaHoSo", d.code},
            {"MaTTHC", d.procedure_code},
            {"TenTTHC", d.procedure_name},
            {"MaLinhVuc", field_code},
            {"TenLinhVuc", field_name},
            {"KenhThucHien", std::to_string(d.channel)},
            {"ChuHoSo", d.applicant.value("full_name", "")},
            {"LoaiDoiTuong", "1"},
            {"TrichYeuHoSo", d.procedure_name + " - " + d.applicant.value("full_name", "")},
            {"NgayTiepNhan", format_dvcqg(d.received_at)},
            {"NgayHenTra", format_dvcqg(d.due_at)},
            {"TrangThaiHoSo", std::to_string(code_of(d.status))},
            {"HinhThuc", d.channel == 3 ? "1" : "0"},
            {"DonViXuLy", unit_name.empty() ? d.current_unit : unit_name},
            {"TaiLieuNop", files},
            {"DanhSachGiayToKetQua", results}};
  // Both required by the portal, empty when the applicant gave none.
  r["SoDienThoai"] = d.applicant.value("phone", "");
  r["Email"] = d.applicant.value("email", "");
  if (d.delivered_at) r["NgayTra"] = dvcqg_time(d.delivered_at);
  if (d.finished_at) r["NgayKetThucXuLy"] = dvcqg_time(d.finished_at);
  return {{"service", "DongBoHoSoMC"}, {"isUpdating", is_new ? "False" : "True"}, {"data", json::array({r})}};
}

json cap_nhat_tien_do(const DossierRecord& d, const Actor& actor, const std::string& comment, TimePoint at) {
  json r = {{"MaHoSo", d.code},
            {"NguoiXuLy", actor.name.empty() ? actor.username : actor.name},
            {"ThoiDiemXuLy", format_dvcqg(at)},
            {"NoiDungXuLy", comment.empty() ? std::string(name_vi(d.status)) : comment},
            {"TrangThai", std::to_string(code_of(d.status))},
            {"NgayBatDau", format_dvcqg(d.received_at)},
            {"NgayKetThucTheoQuyDinh", format_dvcqg(d.due_at)}};
  if (!actor.title.empty()) r["ChucDanh"] = actor.title;
  return {{"service", "CapNhatTienDoHoSoMC"}, {"data", json::array({r})}};
}

}  // namespace

void emit_change(Repos& r, const AgencyConfig& agency, const DossierRecord& d, const Actor& actor,
                 const std::string& comment, TimePoint at, bool is_new) {
  if (!d.incoming()) {
    r.portal_outbox().append(d.code, "DongBoHoSoMC", dong_bo_ho_so(r, agency, d, is_new, at), at);
    r.portal_outbox().append(d.code, "CapNhatTienDoHoSoMC", cap_nhat_tien_do(d, actor, comment, at), at);
    return;
  }
  // The agency that sent the step hears of every change here, in order (conversation = dossier code).
  json status = {{"dossier_code", d.code},
                 {"status", code_of(d.status)},
                 {"status_name", std::string(name_vi(d.status))},
                 {"unit", agency.code},
                 {"actor", {{"name", actor.name.empty() ? actor.username : actor.name}}},
                 {"comment", comment.substr(0, 2000)},
                 {"changed_at", format_local_rfc3339(at)},
                 {"step_index", d.current_step},
                 {"due_at", format_local_rfc3339(d.due_at)}};
  if (!actor.title.empty()) status["actor"]["title"] = actor.title;
  // Numbered one past the outbox's highest row id: unique because the outbox is never pruned (a pruning
  // job would have to keep the newest row, or ids would be reused and the receiver would drop them).
  enqueue_message(r,
                  {onestop_service(d.origin_agency, "status"),
                   d.code + "-status-" + agency.code + "-" + std::to_string(r.bus_outbox().next_id()), d.code, status},
                  at);
}

void enqueue_message(Repos& r, const OutgoingMessage& m, TimePoint at) {
  r.bus_outbox().enqueue(m.service, m.message_id, m.conversation_id, m.payload, at);
}

json submission_payload(Repos& r, const AgencyConfig& agency, const DossierRecord& d, const DossierStep& step,
                        const std::string& note) {
  json applicant = {{"full_name", d.applicant.value("full_name", "")},
                    {"id_number", d.applicant.value("id_number", "")}};
  if (!d.customer_code.empty()) applicant["customer_code"] = d.customer_code;
  for (const char* k : {"date_of_birth", "gender", "phone", "email"})
    if (auto v = d.applicant.value(k, ""); !v.empty()) applicant[k] = v;
  if (auto v = d.applicant.value("permanent_address", ""); !v.empty()) applicant["address"] = v;
  json docs = json::array();
  for (const auto& doc : r.dossiers().documents(d.code))
    if (doc.kind == "submitted" || doc.kind == "supplement")
      docs.push_back({{"name", doc.name},
                      {"sha256", doc.sha256},
                      {"size", doc.size},
                      {"media_type", doc.media_type},
                      {"url", file_url(agency, doc.sha256, Clock::now())}});
  json p = {{"dossier_code", d.code},
            {"procedure", {{"code", d.procedure_code}, {"version", d.procedure_version}, {"name", d.procedure_name}}},
            {"step",
             {{"index", step.index},
              {"name", step.name},
              {"unit", step.unit},
              {"due_at", format_local_rfc3339(step.due_at)}}},
            {"applicant", applicant},
            {"documents", docs},
            {"received_at", format_local_rfc3339(d.received_at)},
            {"due_at", format_local_rfc3339(d.due_at)},
            {"from_unit", agency.code},
            {"to_unit", step.unit}};
  if (!note.empty()) p["note"] = note.substr(0, 2000);
  return p;
}

json result_notice_payload(Repos& r, const DossierRecord& d, const Actor& signer, const std::string& outcome,
                           const std::vector<std::string>& reasons, TimePoint at) {
  json docs = json::array();
  for (const auto& doc : r.dossiers().documents(d.code, "result"))
    docs.push_back({{"name", doc.name},
                    {"sha256", doc.sha256},
                    {"size", doc.size},
                    {"media_type", doc.media_type},
                    {"signature_format", doc.signature_format.value_or("cades")}});
  json p = {{"dossier_code", d.code},
            {"outcome", outcome},
            {"result_documents", docs},
            {"signed_by",
             {{"name", signer.name.empty() ? signer.username : signer.name},
              {"title", signer.title.empty() ? "Lãnh đạo" : signer.title},
              {"unit", d.agency}}},
            {"finished_at", format_local_rfc3339(at)}};
  if (!reasons.empty()) p["reasons"] = reasons;
  return p;
}

}  // namespace lgsp::onestop::detail
