// pool.h: the process-wide worker pool (see the protocol in module.cc):
// detached threads, spawned on demand, that run tasks off the JS thread.
// No N-API here: a task is a function, its argument and an owner tag.
#pragma once

#include <stddef.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace fwctl {

struct PoolTask {
  void (*run)(void* arg);
  void* arg;
  const void* owner;  // whose task it is, for TakeQueued (may be null)
};

class Pool {
 public:
  static Pool& Get();  // never destroyed: detached threads use it

  // Queues the task. False if no thread exists and none could be started.
  bool Submit(PoolTask task);

  // Removes the owner's tasks that no thread has picked up yet; their args
  // go to `out`.
  void TakeQueued(const void* owner, std::vector<void*>* out);

  void Stats(size_t* threads, size_t* idle, size_t* queued);

 private:
  Pool();
  bool Spawn();  // called with mu_ held
  static void* Main(void* arg);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PoolTask> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  std::chrono::milliseconds idle_timeout_;
};

}  // namespace fwctl
