// Uploaded documents: the per-account quota, who may read a stored file, and the sweep of files nobody uses.
#include "access.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_sql.hpp"

namespace lgsp::onestop {
using namespace detail;

StoredFile OneStopOffice::upload(const Actor& actor, std::string_view bytes, const std::string& declared_type) {
  if (actor.role == Role::kAdmin)
    throw OnestopError(errors::kForbidden, "documents are uploaded by applicants and officials");
  std::lock_guard lock(files_mutex_);
  TimePoint t = now();
  std::string at = format_local_rfc3339(t);
  if (!is_module(actor)) {
    // The quota counts what was received (a file sent twice counts twice): it bounds the disk an account can
    // fill, whatever the bytes are.
    std::int64_t count = 0, used = 0;
    std::string since = format_local_rfc3339(t - std::chrono::seconds(uploads_.window_seconds));
    store_.read([&](Transaction& tx) {
      auto r = query(tx, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM file_uploads WHERE username = ? AND at > ?",
                     {text(actor.username), text(since)});
      count = num(r[0][0]);
      used = num(r[0][1]);
    });
    if (count + 1 > static_cast<std::int64_t>(uploads_.max_files) ||
        static_cast<std::uint64_t>(used) + bytes.size() > uploads_.max_bytes)
      throw OnestopError(errors::kUploadQuota, "account " + actor.username + " uploaded " + std::to_string(count) +
                                                   " file(s), " + std::to_string(used) + " bytes in the last " +
                                                   std::to_string(uploads_.window_seconds / 3600) +
                                                   " h; the quota is " + std::to_string(uploads_.max_files) +
                                                   " files and " + std::to_string(uploads_.max_bytes) +
                                                   " bytes (uploads.max_files, uploads.max_bytes)");
  }
  StoredFile f;
  try {
    f = files_.put_document(bytes, declared_type);
  } catch (const FileRefused& e) {
    throw OnestopError(errors::kFileType, e.what());
  }
  store_
      .write([&](Transaction& tx) {
        exec(tx, "INSERT OR IGNORE INTO files(sha256, media_type, size, created_at) VALUES (?,?,?,?)",
             {text(f.sha256), text(f.media_type), integer(f.size), text(at)});
        exec(tx, "INSERT INTO file_uploads(sha256, username, unit, size, at) VALUES (?,?,?,?,?)",
             {text(f.sha256), text(actor.username), text(actor.unit), integer(f.size), text(at)});
      })
      .get();
  return f;
}

bool OneStopOffice::may_read_file(const Actor& actor, const std::string& sha256) const {
  bool visible = false;
  store_.read([&](Transaction& tx) { visible = file_visible(tx, actor, sha256); });
  return visible;
}

std::size_t OneStopOffice::sweep_unused_files(std::chrono::seconds max_age) {
  std::lock_guard lock(files_mutex_);
  TimePoint t = now();
  std::string cutoff = format_local_rfc3339(t - max_age);
  std::string keep_uploads_since =
      format_local_rfc3339(t - std::max(max_age, std::chrono::seconds(uploads_.window_seconds)));
  std::vector<std::string> gone;
  store_
      .write([&](Transaction& tx) {
        // Only files uploaded through the API have a `files` row; what the office makes (results, forms, seals)
        // is referenced by its dossier from the start. A file any dossier or e-profile names is never deleted.
        for (const auto& r : query(tx,
                                   "SELECT f.sha256 FROM files f WHERE f.created_at < ?1 "
                                   "AND NOT EXISTS (SELECT 1 FROM file_uploads u WHERE u.sha256 = f.sha256 AND "
                                   "u.at >= ?1) "
                                   "AND NOT EXISTS (SELECT 1 FROM dossier_documents d WHERE d.sha256 = f.sha256 OR "
                                   "d.signature_sha256 = f.sha256 OR d.seal_sha256 = f.sha256) "
                                   "AND NOT EXISTS (SELECT 1 FROM profile_documents p WHERE p.sha256 = f.sha256) "
                                   "LIMIT 10000",
                                   {text(cutoff)}))
          gone.push_back(str(r[0]));
        for (const auto& sha : gone) exec(tx, "DELETE FROM files WHERE sha256 = ?", {text(sha)});
        exec(tx, "DELETE FROM file_uploads WHERE at < ?", {text(keep_uploads_since)});
      })
      .get();
  for (const auto& sha : gone) {
    std::error_code ec;
    std::filesystem::remove(files_.path_of(sha), ec);
    if (ec) bus::log::warn("onestop.files.sweep", {{"sha256", sha}, {"error", ec.message()}});
  }
  if (!gone.empty()) bus::log::info("onestop.files.expired", {{"count", gone.size()}});
  return gone.size();
}

}  // namespace lgsp::onestop
