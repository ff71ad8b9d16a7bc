// ConfigTable over toml++: every getter marks its key as read, finish() refuses the rest.
#include "lgsp/adapters/adapter_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace lgsp::adapters {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxConfigBytes = 4 * 1024 * 1024;
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

}  // namespace

struct ConfigTable::Impl {
  std::shared_ptr<toml::table> document;  // keeps `table` alive
  const toml::table* table = nullptr;
  std::string where;
  bool root = false;
  fs::path base_dir;
  std::set<std::string, std::less<>> read;
  std::map<std::string, std::shared_ptr<Impl>, std::less<>> children;  // "key" or "key[i]"

  std::string at(const std::string& key) const { return root ? key : where + "." + key; }
  const toml::node* node(const std::string& key) {
    read.insert(key);
    return table->get(key);
  }
  std::shared_ptr<Impl> child(const std::string& id, const toml::table* sub, std::string child_where) {
    auto& c = children[id];
    if (!c) {
      c = std::make_shared<Impl>();
      c->document = document;
      c->table = sub;
      c->where = std::move(child_where);
      c->base_dir = base_dir;
    }
    return c;
  }
};

ConfigTable::ConfigTable(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ConfigTable ConfigTable::parse_text(const std::string& text, const fs::path& base_dir, const std::string& name) {
  auto document = std::make_shared<toml::table>();
  try {
    *document = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream why;
    why << "line " << e.source().begin.line << ", column " << e.source().begin.column << ": " << e.description();
    throw AdapterConfigError(name, why.str());
  }
  auto impl = std::make_shared<Impl>();
  impl->document = document;
  impl->table = document.get();
  impl->where = name;
  impl->root = true;
  impl->base_dir = base_dir;
  return ConfigTable(impl);
}

ConfigTable ConfigTable::parse_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw AdapterConfigError(file.string(), std::string("cannot read the file: ") + std::strerror(errno));
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) throw AdapterConfigError(file.string(), "larger than 4 MiB");
  return parse_text(text, fs::absolute(file).parent_path().lexically_normal(), file.string());
}

const std::string& ConfigTable::where() const { return impl_->where; }
std::string ConfigTable::where(const std::string& key) const { return impl_->at(key); }
void ConfigTable::set_where(const std::string& where) {
  impl_->where = where;
  impl_->root = false;
}
const fs::path& ConfigTable::base_dir() const { return impl_->base_dir; }
bool ConfigTable::has(const std::string& key) const { return impl_->table->contains(key); }

std::vector<std::string> ConfigTable::keys() const {
  // toml++ keeps keys sorted; file order is their source position.
  std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::string>> ordered;
  for (auto&& [key, node] : *impl_->table)
    ordered.push_back({{node.source().begin.line, node.source().begin.column}, std::string(key.str())});
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> out;
  for (auto& [pos, key] : ordered) out.push_back(std::move(key));
  return out;
}

std::optional<std::string> ConfigTable::optional_string(const std::string& key) {
  const toml::node* n = impl_->node(key);
  if (!n) return std::nullopt;
  if (!n->is_string()) throw AdapterConfigError(where(key), "must be a string, got " + type_name(*n));
  std::string value = *n->value<std::string>();
  if (value.find('\0') != std::string::npos) throw AdapterConfigError(where(key), "must not contain NUL");
  return value;
}

std::string ConfigTable::required_string(const std::string& key) {
  auto v = optional_string(key);
  if (!v) throw AdapterConfigError(where(key), "is required");
  if (v->empty()) throw AdapterConfigError(where(key), "must not be empty");
  return *v;
}

std::string ConfigTable::string(const std::string& key, const std::string& fallback) {
  return optional_string(key).value_or(fallback);
}

std::optional<std::int64_t> ConfigTable::optional_integer(const std::string& key, std::int64_t min, std::int64_t max) {
  const toml::node* n = impl_->node(key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) throw AdapterConfigError(where(key), "must be an integer, got " + type_name(*n));
  std::int64_t v = *n->value<std::int64_t>();
  if (v < min || v > max)
    throw AdapterConfigError(where(key), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                             ", got " + std::to_string(v));
  return v;
}

std::int64_t ConfigTable::integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  return optional_integer(key, min, max).value_or(fallback);
}

bool ConfigTable::boolean(const std::string& key, bool fallback) {
  const toml::node* n = impl_->node(key);
  if (!n) return fallback;
  if (!n->is_boolean()) throw AdapterConfigError(where(key), "must be true or false, got " + type_name(*n));
  return *n->value<bool>();
}

std::chrono::milliseconds ConfigTable::milliseconds(const std::string& key, std::chrono::milliseconds fallback,
                                                    std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto v = optional_integer(key, min.count(), max.count());
  return v ? std::chrono::milliseconds(*v) : fallback;
}

std::vector<std::string> ConfigTable::strings(const std::string& key) {
  const toml::node* n = impl_->node(key);
  if (!n) return {};
  const toml::array* array = n->as_array();
  if (!array) throw AdapterConfigError(where(key), "must be an array of strings, got " + type_name(*n));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = (*array)[i];
    if (!item.is_string())
      throw AdapterConfigError(where(key) + "[" + std::to_string(i) + "]", "must be a string, got " + type_name(item));
    out.push_back(*item.value<std::string>());
  }
  return out;
}

std::string ConfigTable::choice(const std::string& key, const std::vector<std::string>& allowed,
                                const std::string& fallback) {
  auto v = optional_string(key);
  if (!v) return fallback;
  if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return *v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw AdapterConfigError(where(key), "must be one of " + list + ", got '" + v->substr(0, 64) + "'");
}

std::optional<fs::path> ConfigTable::optional_path(const std::string& key) {
  auto v = optional_string(key);
  if (!v) return std::nullopt;
  if (v->empty()) throw AdapterConfigError(where(key), "must not be empty");
  fs::path p(*v);
  if (p.is_relative()) p = impl_->base_dir / p;
  return p.lexically_normal();
}

fs::path ConfigTable::required_path(const std::string& key) {
  auto p = optional_path(key);
  if (!p) throw AdapterConfigError(where(key), "is required");
  return *p;
}

std::map<std::string, std::string> ConfigTable::string_map(const std::string& key) {
  const toml::node* n = impl_->node(key);
  if (!n) return {};
  const toml::table* t = n->as_table();
  if (!t) throw AdapterConfigError(where(key), "must be a table of strings, got " + type_name(*n));
  std::map<std::string, std::string> out;
  for (auto&& [k, v] : *t) {
    if (!v.is_string())
      throw AdapterConfigError(where(key) + "." + std::string(k.str()), "must be a string, got " + type_name(v));
    out.emplace(std::string(k.str()), *v.value<std::string>());
  }
  return out;
}

std::optional<std::string> ConfigTable::optional_secret(const std::string& key) {
  if (has(key)) {
    impl_->read.insert(key);
    throw AdapterConfigError(where(key),
                             "secrets are never written in the config (they end up in backups and "
                             "repositories): put it in a file and give " +
                                 key + "_file, or in the environment and give " + key + "_env");
  }
  auto file = optional_path(key + "_file");
  auto env = optional_string(key + "_env");
  if (file && env) throw AdapterConfigError(where(key + "_file"), "give " + key + "_file or " + key + "_env, not both");
  if (file) {
    std::ifstream in(*file, std::ios::binary);
    if (!in)
      throw AdapterConfigError(where(key + "_file"),
                               "cannot read " + file->string() + ": " + std::string(std::strerror(errno)));
    std::string text;
    text.resize(kMaxSecretBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxSecretBytes)
      throw AdapterConfigError(where(key + "_file"), file->string() + " is larger than 64 KiB");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) throw AdapterConfigError(where(key + "_file"), file->string() + " is empty");
    return text;
  }
  if (env) {
    if (env->empty()) throw AdapterConfigError(where(key + "_env"), "must name an environment variable");
    const char* value = std::getenv(env->c_str());
    if (!value || !*value)
      throw AdapterConfigError(where(key + "_env"), "the environment variable " + *env + " is not set or is empty");
    return std::string(value);
  }
  return std::nullopt;
}

std::string ConfigTable::required_secret(const std::string& key) {
  auto v = optional_secret(key);
  if (!v) throw AdapterConfigError(where(key), "is required: give " + key + "_file or " + key + "_env");
  return *v;
}

std::optional<ConfigTable> ConfigTable::optional_table(const std::string& key) {
  const toml::node* n = impl_->node(key);
  if (!n) return std::nullopt;
  const toml::table* t = n->as_table();
  if (!t) throw AdapterConfigError(where(key), "must be a table, got " + type_name(*n));
  return ConfigTable(impl_->child(key, t, where(key)));
}

ConfigTable ConfigTable::table(const std::string& key) {
  auto t = optional_table(key);
  if (!t) throw AdapterConfigError(where(key), "is required (a table)");
  return *t;
}

std::vector<ConfigTable> ConfigTable::tables(const std::string& key) {
  const toml::node* n = impl_->node(key);
  if (!n) return {};
  const toml::array* array = n->as_array();
  if (!array)
    throw AdapterConfigError(where(key), "must be an array of tables ([[" + key + "]]), got " + type_name(*n));
  std::vector<ConfigTable> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string id = key + "[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (!t) throw AdapterConfigError(where(id), "must be a table, got " + type_name((*array)[i]));
    out.emplace_back(impl_->child(id, t, where(id)));
  }
  return out;
}

void ConfigTable::finish() const {
  for (const auto& key : keys())
    if (!impl_->read.count(key)) throw AdapterConfigError(where(key), "unknown key (misspelt, or not for this table)");
  for (const auto& [id, child] : impl_->children) ConfigTable(child).finish();
}

}  // namespace lgsp::adapters
