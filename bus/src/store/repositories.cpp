#include "lgsp/bus/repositories.hpp"

#include "pg_repositories.hpp"
#include "sqlite_repositories.hpp"

namespace lgsp::bus {

const Repositories& repositories(const Transaction& tx) {
  switch (tx.backend()) {
    case Backend::sqlite:
      return store::sqlite_repositories();
    case Backend::postgresql:
      return store::pg_repositories();
  }
  throw StoreError("store: this build has no repositories for the store's backend");
}

}  // namespace lgsp::bus
