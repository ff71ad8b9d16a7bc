#include "lgsp/bus/dead_letters.hpp"

#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/repositories.hpp"

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
    for (auto& m : repositories(tx).messages.dead(tx))
      out.push_back(
          {m.client, m.id, m.service, m.accepted_at, static_cast<int>(m.attempts), m.last_error.value_or("")});
  });
  return out;
}

std::size_t replay_dead_letters(Store& store, const std::string& message_id, const std::string& client) {
  std::size_t replayed = 0;
  auto given = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
  store
      .write([&](Transaction& tx) {
        const auto& messages = repositories(tx).messages;
        auto dead = messages.find_dead(tx, given(message_id), given(client));
        if (!message_id.empty() && client.empty() && dead.size() > 1)
          throw std::invalid_argument("message " + message_id + " : several clients used this id; give --client");
        if (dead.empty() && !message_id.empty())
          throw std::invalid_argument("message " + message_id + " : not in the dead-letter queue");
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        for (const auto& m : dead) {
          messages.requeue(tx, m.seq, now, m.attempts);
          MessageLog::append(tx, "replay", m.client + " " + m.id, {{"after_attempts", m.attempts}});
        }
        replayed = dead.size();
      })
      .get();
  return replayed;
}

}  // namespace lgsp::bus
