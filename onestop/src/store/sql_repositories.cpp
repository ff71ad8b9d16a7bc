#include "sql_repositories.hpp"

#include "sql_dialect.hpp"

namespace lgsp::onestop {

namespace {
// One implementation for both engines (sql_*.cpp); the backend's differences come from dialect_of(tx).
class SqlRepositories final : public OfficeRepositories {
 public:
  explicit SqlRepositories(bus::Transaction& tx)
      : tx_(tx),
        dossiers_(tx),
        profiles_(tx),
        procedures_(tx),
        users_(tx),
        uploads_(tx),
        portal_(tx),
        bus_(tx),
        web_(tx) {}
  DossierRepository& dossiers() override { return dossiers_; }
  ProfileRepository& profiles() override { return profiles_; }
  ProcedureRepository& procedures() override { return procedures_; }
  UserRepository& users() override { return users_; }
  UploadRepository& uploads() override { return uploads_; }
  PortalOutboxRepository& portal_outbox() override { return portal_; }
  BusOutboxRepository& bus_outbox() override { return bus_; }
  WebRepository& web() override { return web_; }
  void exclusive() override {
    const char* sql = store::dialect_of(tx_).exclusive_write;
    if (*sql) tx_.exec(sql);
  }

 private:
  bus::Transaction& tx_;
  store::SqlDossiers dossiers_;
  store::SqlProfiles profiles_;
  store::SqlProcedures procedures_;
  store::SqlUsers users_;
  store::SqlUploads uploads_;
  store::SqlPortalOutbox portal_;
  store::SqlBusOutbox bus_;
  store::SqlWeb web_;
};
}  // namespace

std::unique_ptr<OfficeRepositories> sqlite_repositories(bus::Transaction& tx) {
  return std::make_unique<SqlRepositories>(tx);
}

std::unique_ptr<OfficeRepositories> office_repositories(bus::Transaction& tx) {
  switch (tx.backend()) {
    case bus::Backend::sqlite:
    case bus::Backend::postgresql:
      return std::make_unique<SqlRepositories>(tx);
  }
  throw bus::StoreError("the one-stop office has no repositories for this store's backend");
}

}  // namespace lgsp::onestop
