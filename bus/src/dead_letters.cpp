#include "lgsp/bus/dead_letters.hpp"

#include "lgsp/bus/message_log.hpp"

#include <chrono>
#include <stdexcept>

namespace lgsp::bus {

nlohmann::json DeadLetter::to_json() const {
  return {{"client", client},           {"message_id", message_id}, {"service", service},
          {"accepted_at", accepted_at}, {"attempts", attempts},     {"last_error", last_error}};
}

std::vector<DeadLetter> list_dead_letters(Store& store) {
  std::vector<DeadLetter> out;
  store.read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT client, id, service, accepted_at, attempts, last_error FROM message"
                            " WHERE state = 'dead' ORDER BY seq"))
      out.push_back({as_text(r[0]), as_text(r[1]), as_text(r[2]), as_text(r[3]), static_cast<int>(as_int(r[4])),
                     std::holds_alternative<std::string>(r[5]) ? as_text(r[5]) : ""});
  });
  return out;
}

std::size_t replay_dead_letters(Store& store, const std::string& message_id, const std::string& client) {
  std::size_t replayed = 0;
  store
      .write([&](Transaction& tx) {
        std::vector<Row> rows;
        if (message_id.empty() && client.empty()) {
          rows = tx.query("SELECT seq, client, id, attempts FROM message WHERE state = 'dead' ORDER BY seq");
        } else if (message_id.empty()) {
          const Value p[] = {client};
          rows = tx.query(
              "SELECT seq, client, id, attempts FROM message WHERE state = 'dead' AND client = ? ORDER BY seq", p);
        } else if (client.empty()) {
          const Value p[] = {message_id};
          rows = tx.query("SELECT seq, client, id, attempts FROM message WHERE state = 'dead' AND id = ?", p);
          if (rows.size() > 1)
            throw std::invalid_argument("message " + message_id + " : several clients used this id; give --client");
        } else {
          const Value p[] = {message_id, client};
          rows = tx.query(
              "SELECT seq, client, id, attempts FROM message WHERE state = 'dead' AND id = ? AND client = ?", p);
        }
        if (rows.empty() && !message_id.empty())
          throw std::invalid_argument("message " + message_id + " : not in the dead-letter queue");
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        for (const auto& r : rows) {
          const Value p[] = {std::int64_t{now}, r[3], r[0]};
          tx.exec("UPDATE message SET state = 'accepted', next_attempt_ms = ?, replayed_after = ? WHERE seq = ?", p);
          MessageLog::append(tx, "replay", as_text(r[1]) + " " + as_text(r[2]), {{"after_attempts", as_int(r[3])}});
        }
        replayed = rows.size();
      })
      .get();
  return replayed;
}

}  // namespace lgsp::bus
