// egress_uring: the io_uring backend via raw syscalls and <linux/io_uring.h> (no liburing dependency).
// Each queued message becomes one IORING_OP_SENDMSG SQE; a flush submits up to the SQ size at a time
// with one io_uring_enter that also waits for all of their completions (the payloads live in the RX
// ring block, which must not go back to the kernel before the sends are done), then reaps the CQEs
// and counts failures per output by errno.
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "egress.h"
#include "setup_error.h"

namespace mcr {

namespace {

constexpr unsigned kEntries = 256;

int sys_setup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}
int sys_enter(int fd, unsigned submit, unsigned complete, unsigned flags) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, submit, complete, flags, nullptr, 0));
}

class UringSender final : public Sender {
 public:
  UringSender() {
    io_uring_params p{};
    fd_ = sys_setup(kEntries, &p);
    if (fd_ < 0)
      throw SetupError(errno, "io_uring_setup", "", "", errno == EPERM ? "io_uring disabled (kernel.io_uring_disabled); try --backend mmsg" : "try --backend mmsg");
    try {
      sq_len_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
      cq_len_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
      const bool single = p.features & IORING_FEAT_SINGLE_MMAP;
      if (single) sq_len_ = cq_len_ = std::max(sq_len_, cq_len_);
      sq_ = map(sq_len_, IORING_OFF_SQ_RING);
      cq_ = single ? sq_ : map(cq_len_, IORING_OFF_CQ_RING);
      sqes_len_ = p.sq_entries * sizeof(io_uring_sqe);
      sqes_ = static_cast<io_uring_sqe*>(map(sqes_len_, IORING_OFF_SQES));
      sq_tail_ = reinterpret_cast<unsigned*>(static_cast<uint8_t*>(sq_) + p.sq_off.tail);
      sq_mask_ = *reinterpret_cast<unsigned*>(static_cast<uint8_t*>(sq_) + p.sq_off.ring_mask);
      sq_array_ = reinterpret_cast<unsigned*>(static_cast<uint8_t*>(sq_) + p.sq_off.array);
      sq_entries_ = p.sq_entries;
      cq_head_ = reinterpret_cast<unsigned*>(static_cast<uint8_t*>(cq_) + p.cq_off.head);
      cq_tail_ = reinterpret_cast<unsigned*>(static_cast<uint8_t*>(cq_) + p.cq_off.tail);
      cq_mask_ = *reinterpret_cast<unsigned*>(static_cast<uint8_t*>(cq_) + p.cq_off.ring_mask);
      cqes_ = reinterpret_cast<io_uring_cqe*>(static_cast<uint8_t*>(cq_) + p.cq_off.cqes);
      cq_entries_ = p.cq_entries;
    } catch (...) {
      cleanup();
      throw;
    }
  }
  ~UringSender() override { cleanup(); }

  void flush(SendBatch& batch, CounterBlock& counters) override {
    uint64_t* g = counters.global();
    // Walk (queue, message) pairs in chunks no larger than the SQ.
    size_t qpos = 0;
    uint32_t mpos = 0;
    while (qpos < batch.dirty_.size()) {
      unsigned tail = *sq_tail_;
      unsigned n = 0;
      while (n < sq_entries_ && n < cq_entries_ && qpos < batch.dirty_.size()) {
        const uint32_t qi = batch.dirty_[qpos];
        SendBatch::Queue& q = batch.queues_[qi];
        const unsigned idx = tail & sq_mask_;
        io_uring_sqe* sqe = &sqes_[idx];
        std::memset(sqe, 0, sizeof *sqe);
        sqe->opcode = IORING_OP_SENDMSG;
        sqe->fd = q.fd;
        sqe->addr = reinterpret_cast<uint64_t>(&q.msgs[mpos].msg_hdr);
        sqe->len = 1;
        sqe->msg_flags = MSG_DONTWAIT;  // as in egress_mmsg.cc: never park a send in io-wq
        sqe->user_data = (uint64_t{qi} << 32) | mpos;
        sq_array_[idx] = idx;
        ++tail;
        ++n;
        if (++mpos == q.count) {
          mpos = 0;
          ++qpos;
        }
      }
      __atomic_store_n(sq_tail_, tail, __ATOMIC_RELEASE);
      submit_and_reap(batch, counters, n);
      counter_add(g + kTxBatches, 1);
    }
    batch.reset();
  }

 private:
  void* map(size_t len, off_t off) {
    void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, off);
    if (m == MAP_FAILED) throw SetupError(errno, "mmap", "io_uring", "", "try --backend mmsg");
    return m;
  }

  void submit_and_reap(SendBatch& batch, CounterBlock& counters, unsigned n) {
    unsigned to_submit = n;
    unsigned done = 0;
    while (done < n) {
      int r = sys_enter(fd_, to_submit, n - done, IORING_ENTER_GETEVENTS);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EBUSY) continue;
        // The ring itself failed: count the unsent messages as errors of their outputs and move on.
        fail_unsubmitted(batch, counters, to_submit, errno);
        n -= to_submit;
        to_submit = 0;
        if (done >= n) break;
        continue;
      }
      to_submit -= std::min<unsigned>(to_submit, static_cast<unsigned>(r));
      unsigned head = *cq_head_;
      const unsigned tail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
      for (; head != tail; ++head, ++done) {
        const io_uring_cqe& c = cqes_[head & cq_mask_];
        const auto qi = static_cast<uint32_t>(c.user_data >> 32);
        const auto mi = static_cast<uint32_t>(c.user_data);
        SendBatch::Queue& q = batch.queues_[qi];
        SendBatch::account(counters, q, mi, c.res);
      }
      __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    }
  }

  void fail_unsubmitted(SendBatch& batch, CounterBlock& counters, unsigned count, int err) {
    // SQEs not consumed by the kernel are the last `count` before the tail: withdraw and count them.
    unsigned tail = *sq_tail_;
    for (unsigned k = 0; k < count; ++k) {
      const io_uring_sqe& s = sqes_[(tail - count + k) & sq_mask_];
      SendBatch::Queue& q = batch.queues_[static_cast<uint32_t>(s.user_data >> 32)];
      SendBatch::account(counters, q, static_cast<uint32_t>(s.user_data), -err);
    }
    __atomic_store_n(sq_tail_, tail - count, __ATOMIC_RELEASE);
  }

  void cleanup() {
    if (sqes_) munmap(sqes_, sqes_len_);
    if (cq_ && cq_ != sq_) munmap(cq_, cq_len_);
    if (sq_) munmap(sq_, sq_len_);
    if (fd_ >= 0) close(fd_);
  }

  int fd_ = -1;
  void* sq_ = nullptr;
  void* cq_ = nullptr;
  size_t sq_len_ = 0, cq_len_ = 0, sqes_len_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned* sq_array_ = nullptr;
  unsigned sq_mask_ = 0, sq_entries_ = 0;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0, cq_entries_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

}  // namespace

std::unique_ptr<Sender> make_uring_sender() { return std::make_unique<UringSender>(); }

}  // namespace mcr
