// Uploaded documents: the per-account quota, who may read a stored file, and the sweep of files nobody uses.
#include "access.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

namespace lgsp::onestop {
using namespace detail;

StoredFile OneStopOffice::upload(const Actor& actor, std::string_view bytes, const std::string& declared_type) {
  if (actor.role == Role::kAdmin)
    throw OnestopError(errors::kForbidden, "documents are uploaded by applicants and officials");
  std::lock_guard lock(files_mutex_);
  TimePoint t = now();
  if (!is_module(actor)) {
    // The quota counts what was received (a file sent twice counts twice): it bounds the disk an account can
    // fill, whatever the bytes are.
    UploadRepository::Usage usage;
    read([&](Repos& r) {
      usage = r.uploads().uploaded_since(actor.username, t - std::chrono::seconds(uploads_.window_seconds));
    });
    const std::int64_t count = usage.files, used = usage.bytes;
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
  write([&](Repos& r) {
    r.uploads().record_upload(f.sha256, f.media_type, f.size, actor.username, actor.unit, t);
    // Another office instance on the same database (files_mutex_ is this process's only) may have swept these
    // bytes between the put above and this unit: its sweep removes files inside its exclusive write unit, so here,
    // exclusive in turn, the file is on disk or is put back before the row that names it commits (a stat when
    // it is there).
    files_.put(bytes, f.media_type);
  });
  return f;
}

bool OneStopOffice::may_read_file(const Actor& actor, const std::string& sha256) const {
  bool visible = false;
  read([&](Repos& r) { visible = file_visible(r, actor, sha256); });
  return visible;
}

std::size_t OneStopOffice::sweep_unused_files(std::chrono::seconds max_age) {
  std::lock_guard lock(files_mutex_);
  TimePoint t = now();
  std::vector<std::string> gone;
  // The files are removed inside the write unit, which is exclusive across office instances (see upload()): an
  // upload of the same bytes on another instance commits before (and the file is not forgotten) or after (and
  // puts the file back). Should the commit fail after the removal, the rows of these unused files stay and the
  // next sweep forgets them.
  write([&](Repos& r) {
    gone = r.uploads().forget_unused(t - max_age, t - std::max(max_age, std::chrono::seconds(uploads_.window_seconds)));
    for (const auto& sha : gone) {
      std::error_code ec;
      std::filesystem::remove(files_.path_of(sha), ec);
      if (ec) bus::log::warn("onestop.files.sweep", {{"sha256", sha}, {"error", ec.message()}});
    }
  });
  if (!gone.empty()) bus::log::info("onestop.files.expired", {{"count", gone.size()}});
  return gone.size();
}

}  // namespace lgsp::onestop
