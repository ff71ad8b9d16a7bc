// A TCP connection with a deadline, reporting the real reason (refused, unreachable, timed out) when it fails.
#pragma once

#include <chrono>
#include <string>

namespace lgsp::signing {

// Returns a connected, non-blocking socket. Throws std::runtime_error("connection refused" etc.).
int tcp_connect(const std::string& host, const std::string& port, std::chrono::milliseconds timeout);

}  // namespace lgsp::signing
