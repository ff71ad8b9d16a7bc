#include "lgsp/bus/io_thread.hpp"

namespace lgsp::bus {
namespace {
thread_local boost::asio::io_context* current = nullptr;
}

boost::asio::io_context* current_io_context() { return current; }

IoThreadScope::IoThreadScope(boost::asio::io_context& context) : previous_(current) { current = &context; }

IoThreadScope::~IoThreadScope() { current = previous_; }

}  // namespace lgsp::bus
