// Which io_context the calling thread runs. The HTTP server's I/O threads say so while they run, so
// that work a request starts (the sync proxy's outbound call) can stay on the thread that received
// it instead of being handed to another thread and back: each hand-off is a wake-up and a context
// switch, which on two cores cost the proxy more than the HTTP work itself.
#pragma once

namespace boost::asio {
class io_context;
}

namespace lgsp::bus {

// The io_context this thread runs inside an IoThreadScope, or null.
boost::asio::io_context* current_io_context();

// For the lifetime of the scope, the calling thread runs `context` (and only it).
class IoThreadScope {
 public:
  explicit IoThreadScope(boost::asio::io_context& context);
  ~IoThreadScope();
  IoThreadScope(const IoThreadScope&) = delete;
  IoThreadScope& operator=(const IoThreadScope&) = delete;

 private:
  boost::asio::io_context* previous_;
};

}  // namespace lgsp::bus
