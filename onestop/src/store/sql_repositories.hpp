// The office's repositories (repositories.hpp) over one unit of work, in SQL both SQLite and PostgreSQL run
// (sql_dialect.hpp has the few differences).
#pragma once

#include "lgsp/onestop/repositories.hpp"
#include "sql_rows.hpp"

namespace lgsp::onestop::store {

class SqlDossiers final : public DossierRepository {
 public:
  explicit SqlDossiers(Transaction& tx) : tx_(tx) {}
  std::optional<DossierRecord> find(const std::string& code) override;
  void insert(const DossierRecord& d, TimePoint now) override;
  void update(const DossierRecord& d, TimePoint now) override;
  std::vector<DossierStep> steps(const std::string& code) override;
  void save_step(const std::string& code, const DossierStep& s) override;
  int add_document(const std::string& code, const DossierDocument& doc) override;
  std::vector<DossierDocument> documents(const std::string& code, const std::string& kind) override;
  std::optional<std::string> portal_document_type(const std::string& sha256) override;
  void add_history(const std::string& code, const HistoryEntry& e) override;
  std::vector<HistoryEntry> history(const std::string& code) override;
  std::optional<HistoryEntry> last_history(const std::string& code, const std::string& action) override;
  std::vector<DossierSummary> list(const Scope& scope, const DossierFilter& filter, int limit) override;
  int count(const Scope& scope, const DossierFilter& filter) override;
  std::vector<ProfileTransaction> of_customer(const std::string& customer_code) override;
  std::vector<RegisterRow> received_between(TimePoint from, TimePoint to, const std::string& agency) override;
  std::vector<DossierRecord> for_report(TimePoint from, TimePoint to, const std::string& agency) override;
  std::string allocate_code(const DossierCodePattern& pattern, const std::string& agency, TimePoint at) override;

 private:
  Transaction& tx_;
};

class SqlProfiles final : public ProfileRepository {
 public:
  explicit SqlProfiles(Transaction& tx) : tx_(tx) {}
  std::optional<Profile> find(const std::string& customer_code) override;
  std::optional<std::string> code_of_id_number(const std::string& id_number) override;
  std::int64_t next_number(const std::string& agency) override;
  void insert(const Profile& p, TimePoint now) override;
  bool renew(const std::string& customer_code, TimePoint valid_until, TimePoint now) override;
  void add_document(const ProfileDocument& doc) override;
  std::vector<ProfileDocument> documents(const std::string& customer_code) override;

 private:
  Transaction& tx_;
};

class SqlProcedures final : public ProcedureRepository {
 public:
  explicit SqlProcedures(Transaction& tx) : tx_(tx) {}
  std::optional<Procedure> version(const std::string& code, int version) override;
  std::optional<Procedure> in_force(const std::string& code, Date day) override;
  std::vector<Procedure> latest() override;
  std::vector<ImportedProcedure> versions(const std::string& code) override;
  void insert(const Procedure& p, TimePoint now) override;

 private:
  Transaction& tx_;
};

class SqlUsers final : public UserRepository {
 public:
  explicit SqlUsers(Transaction& tx) : tx_(tx) {}
  bool exists(const std::string& username) override;
  void insert(const UserAccount& u, const std::string& token_sha256, TimePoint now) override;
  std::optional<UserAccount> by_token(const std::string& token_sha256) override;
  std::vector<UserAccount> all() override;
  std::optional<UserAccount> find(const std::string& username) override;
  void bind(const std::string& username, const std::optional<std::string>& certificate_sha256,
            const std::optional<std::string>& cccd) override;
  void add_prepared(const PreparedResult& p) override;
  std::optional<PreparedResult> prepared(const std::string& id) override;
  bool take_prepared(const std::string& id) override;
  int pending_prepared(const std::string& username, TimePoint now) override;
  void purge_expired_prepared(TimePoint now) override;

 private:
  Transaction& tx_;
};

class SqlUploads final : public UploadRepository {
 public:
  explicit SqlUploads(Transaction& tx) : tx_(tx) {}
  std::optional<FileInfo> file(const std::string& sha256) override;
  void record_upload(const std::string& sha256, const std::string& media_type, std::int64_t size,
                     const std::string& username, const std::string& unit, TimePoint at) override;
  Usage uploaded_since(const std::string& username, TimePoint since) override;
  bool citizen_may_see(const std::string& sha256, const std::string& username,
                       const std::string& customer_code) override;
  bool unit_may_see(const std::string& sha256, const std::string& unit) override;
  std::vector<std::string> forget_unused(TimePoint cutoff, TimePoint uploads_before) override;
  std::pair<std::string, bool> data_folder_id(const std::string& id) override;

 private:
  Transaction& tx_;
};

class SqlPortalOutbox final : public PortalOutboxRepository {
 public:
  explicit SqlPortalOutbox(Transaction& tx) : tx_(tx) {}
  void append(const std::string& dossier_code, const std::string& service, const nlohmann::json& record,
              TimePoint at) override;
  std::vector<PortalRecord> after(std::int64_t after_id, int limit, const std::string& agency) override;

 private:
  Transaction& tx_;
};

class SqlBusOutbox final : public BusOutboxRepository {
 public:
  explicit SqlBusOutbox(Transaction& tx) : tx_(tx) {}
  void enqueue(const std::string& service, const std::string& message_id, const std::string& conversation_id,
               const nlohmann::json& payload, TimePoint at) override;
  std::int64_t next_id() override;
  std::vector<BusOutboxEntry> due(TimePoint now, int limit) override;
  std::vector<BusOutboxEntry> claim_due(TimePoint now, int limit, const std::string& owner,
                                        TimePoint claimed_until) override;
  std::optional<BusOutboxEntry> find(std::int64_t id) override;
  void mark_sent(std::int64_t id, TimePoint at) override;
  void mark_failed(std::int64_t id, const std::string& error, TimePoint next_attempt_at) override;
  std::vector<BusOutboxEntry> after(bool pending_only, std::int64_t after_id, int limit,
                                    const std::string& agency) override;
  bool received(const std::string& message_id) override;
  void record_received(const std::string& message_id, const std::string& kind, const std::string& client, TimePoint at,
                       const nlohmann::json& payload, const nlohmann::json& outcome) override;

 private:
  Transaction& tx_;
};

class SqlWeb final : public WebRepository {
 public:
  explicit SqlWeb(Transaction& tx) : tx_(tx) {}
  std::optional<std::string> password_hash(const std::string& username) override;
  void set_password(const std::string& username, const std::string& hash, TimePoint now) override;
  std::optional<std::string> citizen_account(const std::string& customer_code) override;
  void add_session(const WebSession& s) override;
  std::optional<WebSession> session(const std::string& id_sha256) override;
  void touch_session(const std::string& id_sha256, TimePoint at) override;
  bool end_session(const std::string& id_sha256) override;
  int end_sessions_of(const std::string& username) override;
  void cap_sessions(const std::string& username, int keep) override;
  int sweep_sessions(TimePoint idle_before, TimePoint created_before) override;
  void add_challenge(const WebChallenge& c) override;
  std::optional<WebChallenge> take_challenge(const std::string& id) override;
  int count_challenges(TimePoint now) override;
  void sweep_challenges(TimePoint now) override;
  std::int64_t add_notification(const Notification& n) override;
  std::vector<Notification> claim_notifications(TimePoint now, int limit, const std::string& owner,
                                                TimePoint claimed_until) override;
  void mark_notification_sent(std::int64_t id, TimePoint at) override;
  void mark_notification_failed(std::int64_t id, const std::string& error, TimePoint next_attempt_at,
                                bool give_up) override;
  std::vector<Notification> notifications(const std::string& dossier_code, int limit) override;
  std::vector<Notification> notifications_by_id(std::int64_t id) override;
  std::optional<std::string> dossier_of_request(const std::string& key) override;
  void record_request(const std::string& key, const std::string& dossier_code, TimePoint at) override;
  void sweep_requests(TimePoint before) override;

 private:
  Transaction& tx_;
};

}  // namespace lgsp::onestop::store
