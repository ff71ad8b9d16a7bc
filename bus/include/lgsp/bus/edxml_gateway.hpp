// edXML document exchange through the bus (docs/edxml.md): POST /v1/edxml/messages takes a QCVN 102 package or
// status reply from a document-management system, validates it, checks its signature when it is signed, finds
// each addressee's system by organ id and hands one copy per addressee to the asynchronous exchange (the same
// pipeline as POST /v1/messages: ACL, contract, seal, durable delivery). Status replies travel back the same way
// and are recorded against their document: GET /v1/edxml/documents?document_id=… shows who has it and what they
// answered.
#pragma once

#include "lgsp/bus/http.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/validation.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class thread_pool;
}

namespace lgsp::contracts {
class Catalogue;
}

namespace lgsp::bus {

class RefusalRecorder;

struct EdxmlGatewayOptions {
  std::filesystem::path trust;   // PEM roots for signed packages; empty: signed packages are refused
  bool check_revocation = true;  // OCSP for the signer's certificate
  unsigned threads = 2;          // validation and signature checks run here, never on an I/O thread
};

// The edXML services of the subsystem that answers for an organ.
std::string edxml_document_service(const std::string& subsystem);  // "<subsystem>/edxml-document/v1"
std::string edxml_status_service(const std::string& subsystem);    // "<subsystem>/edxml-status/v1"

class EdxmlGateway {
 public:
  struct Dependencies {
    std::function<Store*()> store;
    std::function<const contracts::Catalogue*()> catalogue;
    contracts::ParseLimits limits;
    // Runs one addressee's copy through the exchange's pipeline (Exchange::submit).
    std::function<void(HttpRequest, Reply)> submit;
    std::shared_ptr<RefusalRecorder> refusals;  // may be null
  };
  EdxmlGateway(Dependencies dependencies, EdxmlGatewayOptions options);
  ~EdxmlGateway();  // waits for the requests in progress
  EdxmlGateway(const EdxmlGateway&) = delete;
  EdxmlGateway& operator=(const EdxmlGateway&) = delete;

  void add_routes(Router& router);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::shared_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace lgsp::bus
