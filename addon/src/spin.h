// Spinning for another thread's (or a tracee's) next event before sleeping on it, with a back-off:
// one implementation for the ptrace transport (its tracer thread waiting for a batch's answers,
// Node's thread for the next batch) and the unotify pump (Node's thread polling a listener after
// it answered, `sysvisor agent --spin`).
//
// A spin that pays saves the spinner a sleep and its waker a wake-up; one that runs out (the other
// side did not run in time: a loaded machine, a slow engine, an idle container, calls far apart) is
// CPU burnt for nothing. So a spin that ran out makes the next 1, 2, 4 ... 64 spins skip (only
// done() is checked, once), and the first one that pays ends the back-off: a spin that keeps
// running out costs about one spin in 64, one that pays keeps paying.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>

namespace sysvisor {

inline uint64_t SpinClockNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the vDSO: no syscall
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Spinner {
 public:
  static constexpr int kMaxBackoff = 64;

  // Polls done() until it holds or bound_ns have passed, relax() between polls and the clock read
  // every `clock_every` polls (a cheap done() is polled many times per clock read); at once (one
  // done()) when backing off. True when done() held.
  template <typename Done, typename Relax>
  bool Until(uint64_t bound_ns, Done done, Relax relax, unsigned clock_every = 32) {
    if (skip_ > 0) {
      skip_--;
      skipped_++;
      return done();
    }
    uint64_t deadline = 0;
    for (unsigned i = 0;; i++) {
      if (done()) {
        backoff_ = 0;
        return true;
      }
      if (i % clock_every == 0) {
        uint64_t now = SpinClockNs();
        if (deadline == 0) {
          deadline = now + bound_ns;
        } else if (now >= deadline) {
          backoff_ = backoff_ == 0 ? 1 : std::min(backoff_ * 2, kMaxBackoff);
          skip_ = backoff_;
          return false;
        }
      }
      relax();
    }
  }

  // Spins skipped while backing off, so far.
  uint64_t skipped() const { return skipped_; }

 private:
  int backoff_ = 0, skip_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace sysvisor
