// What the rest adapter reads from a legacy system: its JSON through a mapping, its dates, and the values it
// puts in a legacy URL. The first byte chooses, the rest is the text:
//   0 a legacy date "dd/MM/yyyy HH:mm:ss": one that converts to ISO converts back to itself
//   1 an ISO date or time to "dd/MM/yyyy": no throw, and a result always has the pattern's length
//   2 a legacy JSON record through a mapping to hotich.trichluc-request@v1: no throw; a result is an object
//   3 a JSON request filling a URL template: values never add a '/', '?' or '#' to the URL
#include "fuzz_target.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_json.hpp"
#include "mapping.hpp"
#include "mapping_config.hpp"
#include "url_template.hpp"

#include <algorithm>
#include <cstdlib>
#include <variant>

namespace {
using namespace lgsp::adapters::rest;

const Mapping& mapping() {
  static const Mapping m = [] {
    const auto catalogue = lgsp::contracts::Catalogue::load(lgsp::contracts::default_catalogue_dir());
    const auto schema = load_contract_schema(*catalogue.find("hotich.trichluc-request@v1"));
    MappingSpec s;
    s.fields = {{"maYeuCau", "request_id"},
                {"loaiSuKien", "event_type"},
                {"nguoiDuocCap.hoTen", "lookup.person.full_name"},
                {"nguoiDuocCap.ngaySinh", "lookup.person.date_of_birth"},
                {"nguoiYeuCau.hoTen", "requester.full_name"},
                {"nguoiYeuCau.soDinhDanh", "requester.id_number"},
                {"nguoiYeuCau.quanHe", "requester.relation"},
                {"mucDich", "purpose"},
                {"soBan", "copies"},
                {"thoiGianYeuCau", "requested_at"}};
    s.dates = {{"nguoiDuocCap.ngaySinh", "dd/MM/yyyy"}, {"thoiGianYeuCau", "dd/MM/yyyy HH:mm:ss"}};
    s.values = {{"loaiSuKien", {{"KS", "birth"}, {"KT", "death"}}}, {"nguoiYeuCau.quanHe", {{"CHA", "parent"}}}};
    s.defaults = {{"copies", "1"}};
    return Mapping::compile(s, &schema, "hotich.trichluc-request@v1");
  }();
  return m;
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(lgsp::fuzz::as_text(data + 1, size - 1));
  switch (data[0] % 4) {
    case 0: {
      static const auto f = DateFormat::parse("dd/MM/yyyy HH:mm:ss");
      if (auto iso = f.to_iso(text))
        if (f.from_iso(*iso) != text) std::abort();
      break;
    }
    case 1: {
      static const auto f = DateFormat::parse("dd/MM/yyyy");
      if (auto legacy = f.from_iso(text))
        if (legacy->size() != 10) std::abort();
      break;
    }
    case 2: {
      std::vector<lgsp::contracts::ValidationError> errors;
      auto doc = lgsp::contracts::parse_json(text, {}, errors);
      if (!doc) break;
      auto out = mapping().apply(*doc);
      if (auto* json = std::get_if<nlohmann::json>(&out))
        if (!json->is_object()) std::abort();
      break;
    }
    case 3: {
      static const auto t = UrlTemplate::parse("http://h/api/{a}/x/{b.c}?n={a}");
      std::vector<lgsp::contracts::ValidationError> errors;
      auto doc = lgsp::contracts::parse_json(text, {}, errors);
      if (!doc) break;
      std::string missing;
      if (auto url = t.fill(*doc, "", missing)) {
        if (std::count(url->begin(), url->end(), '/') != 6 || std::count(url->begin(), url->end(), '?') != 1 ||
            url->find('#') != std::string::npos)
          std::abort();
      }
      break;
    }
  }
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(rest_mapping);
