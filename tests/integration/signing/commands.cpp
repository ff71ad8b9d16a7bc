#include "commands.hpp"

#include "hsm_sim.hpp"

namespace lgsp::test {
namespace {

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

RunResult run_lgsp(const std::vector<std::string>& args) { return run(concat({LGSP_BINARY}, args)); }

RunResult lgsp_with_env(const std::vector<std::string>& env_args, const std::vector<std::string>& args) {
  return run(concat(concat(concat({"/usr/bin/env"}, env_args), {LGSP_BINARY}), args));
}

RunResult lgsp_without_terminal(const std::vector<std::string>& env_args, const std::vector<std::string>& args) {
  return run(concat(concat(concat({"/usr/bin/env"}, env_args), {"/usr/bin/setsid", "--wait", LGSP_BINARY}), args));
}

RunResult xmlsec1(const std::vector<std::string>& args) { return run(concat({XMLSEC1_BINARY}, args)); }

RunResult openssl(const std::vector<std::string>& args) { return run(concat({OPENSSL_BINARY}, args)); }

RunResult lgsp_sign(const std::string& format, const std::string& token, const std::filesystem::path& in,
                    const std::filesystem::path& out, const std::vector<std::string>& extra) {
  return run_lgsp(concat({"sign", "--format", format, "--token", token, "--in", in.string(), "--out", out.string(),
                          "--chain", hsm_sim().pem("issuing-ca").string()},
                         extra));
}

RunResult lgsp_verify(const std::filesystem::path& in, const std::vector<std::string>& extra) {
  return run_lgsp(concat({"verify", "--in", in.string(), "--trust", hsm_sim().pem("root-ca").string()}, extra));
}

std::string sample_document(const std::string& id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<KetQua xmlns=\"urn:lgsp:test:ketqua\" Id=\"" +
         id +
         "\">\n"
         "  <SoHoSo>000.00.00.H29-261123-0001</SoHoSo>\n"
         "  <HoTen>Nguyễn Thị Hoa</HoTen>\n"
         "  <NoiDung>Trích lục khai sinh &amp; xác nhận cư trú</NoiDung>\n"
         "</KetQua>\n";
}

}  // namespace lgsp::test
