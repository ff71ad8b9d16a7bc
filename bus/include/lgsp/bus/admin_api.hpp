// The admin API (/admin/v1/...): the registry over HTTP with the same rules as the CLI, served on its
// own loopback listener (admin.listen), never on the member-facing one.
#pragma once

#include "lgsp/bus/router.hpp"
#include "lgsp/bus/store.hpp"

#include <functional>
#include <memory>

namespace lgsp::contracts {
class Catalogue;
}

namespace lgsp::bus {

class AdminApi {
 public:
  // `store` returns the node's store, or null while it is opening; `catalogue` the loaded contracts.
  AdminApi(std::function<Store*()> store, std::function<const contracts::Catalogue*()> catalogue);
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  void add_routes(Router& router);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
