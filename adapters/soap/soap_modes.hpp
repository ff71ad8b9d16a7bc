// The two things a soap adapter can be, each one HTTP request in, one answer out (run on the adapter's
// worker threads: both block on the network). Internal to adapters/soap.
#pragma once

#include "lgsp/adapters/adapter.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "soap_envelope.hpp"
#include "username_token.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::contracts {
class Contract;
}

namespace lgsp::adapters::soap {

// ---- expose: legacy SOAP clients -> the bus ----

struct ExposeOperation {
  std::string name;         // the WSDL operation
  std::string service;      // the bus service it calls
  bool one_way = false;     // mode = "message": NodeClient::send, answered with the receipt
  std::string path;         // call: appended after the service ("" or "/records")
  std::string soap_action;  // default: the operation's name
  std::string request_contract, request_element;
  std::string response_contract, response_element;  // call only
  // Resolved at start:
  const contracts::Contract* request = nullptr;
  QName input, output;
};

struct ExposeConfig {
  std::string service_name;      // wsdl:service
  std::string target_namespace;  // the WSDL's own namespace
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds timeout{25000};
  std::vector<ExposeOperation> operations;
  std::optional<std::filesystem::path> users_file;  // set: every request needs a UsernameToken
  TokenPolicy token_policy;
  contracts::ParseLimits limits;
};

class ExposeService {
 public:
  // Resolves the contracts and builds the WSDL; throws AdapterConfigError.
  ExposeService(ExposeConfig config, AdapterContext& context, const std::string& where);
  // Before the body is read: a body announced larger than the limit is refused with a fault at once.
  std::optional<bus::HttpResponse> check_header(const bus::HttpRequest& header) const;
  bus::HttpResponse handle(const bus::HttpRequest& request);
  const std::string& wsdl() const { return wsdl_; }
  std::string describe() const;

 private:
  bus::HttpResponse fault(SoapVersion version, const bus::ErrorCode& error, FaultRole role,
                          const std::string& detail) const;
  bus::HttpResponse fault(SoapVersion version, const FaultSpec& spec) const;
  bus::HttpResponse call(const Envelope& envelope, const ExposeOperation& op);
  bus::HttpResponse send(const Envelope& envelope, const ExposeOperation& op);

  ExposeConfig config_;
  AdapterContext& context_;
  std::unique_ptr<UsernameTokenVerifier> tokens_;
  std::string wsdl_;
};

// ---- provide: the bus -> a legacy SOAP service ----

struct ProvideOperation {
  std::string name;
  QName element;  // the payload's root element that selects it (namespace empty: any)
  std::string soap_action;
};

struct ProvideConfig {
  std::string endpoint;  // the legacy service's URL
  SoapVersion version = SoapVersion::v11;
  std::chrono::milliseconds timeout{25000};
  std::vector<ProvideOperation> operations;
  std::vector<std::string> call_from;  // remote addresses allowed to make unsigned synchronous calls
  std::optional<std::string> basic_user, basic_password;
  std::optional<OutboundUsernameToken> token;
  bus::OutboundTls tls;
  contracts::ParseLimits limits;
};

class ProvideService {
 public:
  ProvideService(ProvideConfig config, AdapterContext& context);
  bus::HttpResponse handle(const bus::HttpRequest& request);
  Health health() const;

 private:
  bus::HttpResponse forward(const std::string& payload);

  ProvideConfig config_;
  AdapterContext& context_;
  bus::OutboundClient client_;
  std::atomic<std::int64_t> last_ok_{0}, last_failure_{0};  // steady-clock seconds
  mutable std::mutex failure_mutex_;
  std::string last_failure_reason_;
};

// The remote address of "ip:port" or "[ipv6]:port".
std::string remote_host(const std::string& remote);

}  // namespace lgsp::adapters::soap
