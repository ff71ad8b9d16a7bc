// Names the calling thread (at most 15 characters), so `top -H`, `ps -L` and perf show which of the
// node's threads is busy: lgsp-http, lgsp-out, lgsp-signer, lgsp-writer, lgsp-deliver.
#pragma once

#include <pthread.h>

namespace lgsp::bus {

inline void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace lgsp::bus
