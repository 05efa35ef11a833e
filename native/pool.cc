// pool.cc: the worker pool (see pool.h). Threads are spawned on demand (at
// most kMaxThreads), exit after idling kIdleMs and block every signal.
#include "pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

namespace fwctl {

namespace {
constexpr size_t kMaxThreads = 256;
constexpr long kIdleMsDefault = 30000;
}  // namespace

Pool& Pool::Get() {
  static Pool* pool = new Pool();  // never destroyed: detached threads use it
  return *pool;
}

bool Pool::Submit(PoolTask task) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(task);
  if (queue_.size() > idle_ && threads_ < kMaxThreads) {
    if (Spawn()) {
      threads_++;
    } else if (threads_ == 0) {
      queue_.pop_back();
      return false;
    }
  }
  cv_.notify_one();
  return true;
}

void Pool::TakeQueued(const void* owner, std::vector<void*>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->owner == owner) {
      out->push_back(it->arg);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void Pool::Stats(size_t* threads, size_t* idle, size_t* queued) {
  std::lock_guard<std::mutex> lock(mu_);
  *threads = threads_;
  *idle = idle_;
  *queued = queue_.size();
}

Pool::Pool() {
  // FWCTL_POOL_IDLE_MS: idle thread lifetime, a knob for tests.
  const char* s = getenv("FWCTL_POOL_IDLE_MS");
  long ms = s ? strtol(s, nullptr, 10) : kIdleMsDefault;
  idle_timeout_ = std::chrono::milliseconds(ms > 0 ? ms : kIdleMsDefault);
}

bool Pool::Spawn() {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the new thread inherits it
  pthread_t tid;
  int rc = pthread_create(&tid, &attr, &Pool::Main, this);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  return rc == 0;
}

void* Pool::Main(void* arg) {
  Pool* self = static_cast<Pool*>(arg);
  pthread_setname_np(pthread_self(), "fwctl-pool");
  std::unique_lock<std::mutex> lock(self->mu_);
  for (;;) {
    if (self->queue_.empty()) {
      self->idle_++;
      bool woke = self->cv_.wait_for(lock, self->idle_timeout_, [self] { return !self->queue_.empty(); });
      self->idle_--;
      if (!woke) {
        self->threads_--;
        return nullptr;
      }
    }
    PoolTask task = self->queue_.front();
    self->queue_.pop_front();
    lock.unlock();
    task.run(task.arg);
    lock.lock();
  }
}

}  // namespace fwctl
