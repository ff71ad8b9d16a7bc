#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/contracts/base64.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/merkle.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/thread_name.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/signer.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace lgsp::bus {
namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
  Sha256 leaf;
  SealCallback done;
};

std::string der_base64(X509* cert) {
  auto der = signing::certificate_to_der(cert);
  return contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
}

}  // namespace

struct BatchSigner::Impl {
  SignerFactory open_signer;
  BatchSignerOptions options;
  BatchObserver on_batch;

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<Pending> queue;
  Clock::time_point first_queued;
  bool urgent = false;             // a queued leaf's caller waits synchronously: sign after the (short) urgent window
  Clock::time_point first_urgent;  // when the oldest queued urgent leaf arrived
  bool stopping = false;
  std::string unavailable;  // why signing is not possible now; empty when it is

  // Touched by the signing thread only.
  std::unique_ptr<signing::Signer> signer;
  std::string alg;
  std::string certificate;
  std::vector<std::string> chain;
  std::string certificate_sha256;
  std::shared_ptr<const SealCertificate> seal_certificate;
  SealCertificates own_certificate;  // just seal_certificate, by certificate_sha256
  Clock::time_point next_open{};
  std::thread thread;

  void set_unavailable(std::string why) {
    std::lock_guard lock(mutex);
    if (why != unavailable && !why.empty()) log::warn("signing.unavailable", {{"reason", why}});
    if (why.empty() && !unavailable.empty()) log::info("signing.available", {{"signer", signer->description()}});
    unavailable = std::move(why);
  }

  // Opens the signer if it is not open and the last attempt is old enough. True when open.
  bool ensure_signer() {
    if (signer) return true;
    if (Clock::now() < next_open) return false;
    try {
      signer = open_signer();
      alg = signer->key_kind() == signing::KeyKind::kEcdsa ? "ES256" : "RS256";
      certificate = der_base64(signer->certificate());
      chain.clear();
      for (const auto& ca : signer->chain()) chain.push_back(der_base64(ca.get()));
      auto der = signing::certificate_to_der(signer->certificate());
      certificate_sha256 = sha256_hex(std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
      seal_certificate =
          std::make_shared<const SealCertificate>(SealCertificate{certificate, nlohmann::json(chain).dump()});
      own_certificate = {{certificate_sha256, *seal_certificate}};
      set_unavailable("");
      return true;
    } catch (const std::exception& e) {
      signer.reset();
      next_open = Clock::now() + options.reopen_every;
      set_unavailable(std::string("HSM unavailable: ") + e.what());
      return false;
    }
  }

  void fail(std::vector<Pending>& batch, const std::string& why) {
    if (options.on_failure) options.on_failure();
    auto error = std::make_exception_ptr(SealError(why));
    for (auto& p : batch) p.done(Seal{}, error);
  }

  void sign(std::vector<Pending>& batch) {
    std::string why;
    if (!ensure_signer()) {
      std::lock_guard lock(mutex);
      why = unavailable;
    }
    if (!why.empty()) return fail(batch, why);

    std::vector<Sha256> leaves;
    leaves.reserve(batch.size());
    for (const auto& p : batch) leaves.push_back(p.leaf);
    merkle::Tree tree(leaves);
    SignedBatch signed_batch;
    signed_batch.root = hex(tree.root());
    signed_batch.size = batch.size();
    signed_batch.signed_at = utc_now_rfc3339();
    const auto started = Clock::now();
    try {
      const std::string bytes = signed_bytes(signed_batch.root, signed_batch.signed_at);
      auto sig = signer->sign_sha256(
          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
      signed_batch.signature =
          contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
    } catch (const std::exception& e) {
      // The token may have been pulled or the HSM restarted: drop the session and reopen later.
      signer.reset();
      next_open = Clock::now();
      set_unavailable(std::string("HSM signing failed: ") + e.what());
      return fail(batch, std::string("HSM signing failed: ") + e.what());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    signed_batch.alg = alg;
    signed_batch.certificate = certificate;
    signed_batch.chain = chain;
    signed_batch.cert_sha256 = certificate_sha256;
    signed_batch.seal_certificate = seal_certificate;
    if (on_batch) on_batch(signed_batch, seconds);

    const nlohmann::json stored_common = {{"v", 1},
                                          {"alg", alg},
                                          {"root", signed_batch.root},
                                          {"batch_size", batch.size()},
                                          {"signed_at", signed_batch.signed_at},
                                          {"sig", signed_batch.signature},
                                          {"cert_sha256", certificate_sha256}};
    // Serialized once for the batch; each seal is this text with the leaf's proof spliced in. The
    // full form is the stored one with the certificates put back as text: the base64 is not
    // escaped again for every batch.
    std::size_t stored_at = 0;
    const std::string stored = json_with_member(stored_common, "proof", "", &stored_at);
    const std::string full = *expand_seal_text(stored, own_certificate);
    // "cert_sha256" sorts before "proof", so the certificates put back shift the proof's place by
    // exactly the difference in length.
    const std::size_t at = stored_at + (full.size() - stored.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const std::string proof = nlohmann::json(merkle::proof_to_strings(tree.proof(i))).dump();
      Seal seal;
      seal.text.reserve(full.size() + proof.size());
      seal.text.append(full, 0, at).append(proof).append(full, at);
      seal.stored.reserve(stored.size() + proof.size());
      seal.stored.append(stored, 0, stored_at).append(proof).append(stored, stored_at);
      seal.cert_sha256 = certificate_sha256;
      seal.certificate = seal_certificate;
      batch[i].done(std::move(seal), nullptr);
    }
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (queue.empty()) {
        if (stopping) return;
        // While the HSM is away, wake up now and then to reopen it, so /readyz recovers on its own
        // once the token is back, before any message arrives.
        if (!unavailable.empty()) {
          wake.wait_for(lock, options.reopen_every);
          if (queue.empty() && !stopping) {
            lock.unlock();
            ensure_signer();
            lock.lock();
          }
        } else {
          wake.wait(lock, [&] { return stopping || !queue.empty(); });
        }
        continue;
      }
      // Collect: until the window since the first leaf (or the urgent window since the first urgent
      // leaf) has passed, or the batch is full. An urgent leaf arriving meanwhile shortens the wait.
      for (;;) {
        if (stopping || queue.size() >= options.max_batch) break;
        auto until = first_queued + options.window;
        if (urgent) until = std::min(until, first_urgent + options.urgent_window);
        if (Clock::now() >= until) break;
        wake.wait_until(lock, until);
      }
      urgent = false;
      std::vector<Pending> batch;
      const std::size_t n = std::min(queue.size(), options.max_batch);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      // Leaves that arrived while the last batch was being signed have waited already: next round at once.
      if (!queue.empty()) first_queued = Clock::now() - options.window;
      lock.unlock();
      sign(batch);
      lock.lock();
    }
  }
};

BatchSigner::BatchSigner(SignerFactory open_signer, BatchSignerOptions options, BatchObserver on_batch)
    : impl_(std::make_unique<Impl>()) {
  impl_->open_signer = std::move(open_signer);
  impl_->options = options;
  impl_->on_batch = std::move(on_batch);
  impl_->unavailable = "the HSM is being opened";
  impl_->thread = std::thread([impl = impl_.get()] {
    name_this_thread("lgsp-signer");
    impl->ensure_signer();
    impl->run();
  });
}

BatchSigner::~BatchSigner() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void BatchSigner::seal(const Sha256& leaf, SealCallback done) { enqueue(leaf, std::move(done), false); }

void BatchSigner::seal_urgent(const Sha256& leaf, SealCallback done) { enqueue(leaf, std::move(done), true); }

void BatchSigner::enqueue(const Sha256& leaf, SealCallback done, bool urgent) {
  bool stopping = false;
  {
    std::lock_guard lock(impl_->mutex);
    stopping = impl_->stopping;
    if (!stopping) {
      if (impl_->queue.empty()) impl_->first_queued = Clock::now();
      impl_->queue.push_back({leaf, std::move(done)});
      const bool first_urgent = urgent && !impl_->urgent;
      if (first_urgent) impl_->first_urgent = Clock::now();
      impl_->urgent = impl_->urgent || urgent;
      // Wake the signer for the first leaf (it starts the window), when the batch is full, and for the
      // first caller who cannot wait (it starts the urgent window).
      if (!first_urgent && impl_->queue.size() < impl_->options.max_batch && impl_->queue.size() > 1) return;
    }
  }
  if (stopping) return done(Seal{}, std::make_exception_ptr(SealError("the node is stopping")));
  impl_->wake.notify_one();
}

bool BatchSigner::ready(std::string& reason) const {
  std::lock_guard lock(impl_->mutex);
  reason = impl_->unavailable;
  return reason.empty();
}

std::string BatchSigner::signed_bytes(const std::string& root_hex, const std::string& signed_at) {
  return "lgsp-seal-v1\n" + root_hex + "\n" + signed_at;
}

}  // namespace lgsp::bus
