// Uploaded files, the uploads counted against quotas and who may see a file, in SQL both engines run.
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {

std::optional<UploadRepository::FileInfo> SqlUploads::file(const std::string& sha256) {
  auto r = select_one(tx_, {"media_type", "size"}, "FROM files WHERE sha256 = ?", {text(sha256)});
  if (!r) return std::nullopt;
  return FileInfo{r->text("media_type"), r->integer("size")};
}

void SqlUploads::record_upload(const std::string& sha256, const std::string& media_type, std::int64_t size,
                               const std::string& username, const std::string& unit, TimePoint at) {
  tx_.exec("INSERT INTO files(sha256, media_type, size, created_at) VALUES (?,?,?,?) ON CONFLICT(sha256) DO NOTHING",
           Params{text(sha256), text(media_type), integer(size), time_text(at)});
  tx_.exec("INSERT INTO file_uploads(sha256, username, unit, size, at) VALUES (?,?,?,?,?)",
           Params{text(sha256), text(username), text(unit), integer(size), time_text(at)});
}

UploadRepository::Usage SqlUploads::uploaded_since(const std::string& username, TimePoint since) {
  auto r = select_one(
      tx_, {"COUNT(*) AS files", "CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes"},  // PostgreSQL: SUM is numeric
      "FROM file_uploads WHERE username = ? AND at > ?", {text(username), time_text(since)});
  return Usage{r->integer("files"), r->integer("bytes")};
}

bool SqlUploads::citizen_may_see(const std::string& sha256, const std::string& username,
                                 const std::string& customer_code) {
  return select_one(tx_, {"1 AS found"},
                    "FROM file_uploads WHERE sha256 = ? AND username = ? UNION ALL "
                    "SELECT 1 FROM profile_documents WHERE sha256 = ? AND customer_code = ? LIMIT 1",
                    {text(sha256), text(username), text(sha256), text(customer_code)})
      .has_value();
}

bool SqlUploads::unit_may_see(const std::string& sha256, const std::string& unit) {
  return select_one(
             tx_, {"1 AS found"},
             "FROM file_uploads WHERE sha256 = ? AND unit = ? UNION ALL "
             "SELECT 1 FROM dossier_documents dd JOIN dossiers d ON d.code = dd.dossier_code "
             "WHERE (dd.sha256 = ? OR dd.signature_sha256 = ? OR dd.seal_sha256 = ?) AND d.agency = ? "
             "UNION ALL SELECT 1 FROM profile_documents pd JOIN profiles p ON p.customer_code = pd.customer_code "
             "WHERE pd.sha256 = ? AND p.unit = ? LIMIT 1",
             {text(sha256), text(unit), text(sha256), text(sha256), text(sha256), text(unit), text(sha256), text(unit)})
      .has_value();
}

std::vector<std::string> SqlUploads::forget_unused(TimePoint cutoff, TimePoint uploads_before) {
  std::vector<std::string> gone;
  // Only files uploaded through the API have a `files` row; what the office makes (results, forms, seals) is
  // referenced by its dossier from the start. A file any dossier or e-profile names is never forgotten.
  for (const auto& r : select(tx_, {"f.sha256"},
                              "FROM files f WHERE f.created_at < ? "
                              "AND NOT EXISTS (SELECT 1 FROM file_uploads u WHERE u.sha256 = f.sha256 AND "
                              "u.at >= ?) "
                              "AND NOT EXISTS (SELECT 1 FROM dossier_documents d WHERE d.sha256 = f.sha256 OR "
                              "d.signature_sha256 = f.sha256 OR d.seal_sha256 = f.sha256) "
                              "AND NOT EXISTS (SELECT 1 FROM profile_documents p WHERE p.sha256 = f.sha256) "
                              "LIMIT 10000",
                              {time_text(cutoff), time_text(cutoff)}))
    gone.push_back(r.text("sha256"));
  for (const auto& sha : gone) tx_.exec("DELETE FROM files WHERE sha256 = ?", Params{text(sha)});
  tx_.exec("DELETE FROM file_uploads WHERE at < ?", Params{time_text(uploads_before)});
  return gone;
}

std::pair<std::string, bool> SqlUploads::data_folder_id(const std::string& id) {
  tx_.exec("INSERT INTO office_settings(name, value) VALUES ('data_folder_id', ?) ON CONFLICT(name) DO NOTHING",
           Params{text(id)});
  const bool recorded = tx_.changes() == 1;
  auto r = select_one(tx_, {"value"}, "FROM office_settings WHERE name = 'data_folder_id'");
  return {r->text("value"), recorded};
}

}  // namespace lgsp::onestop::store
