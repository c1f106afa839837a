// egress_mmsg: the default backend. One sendmmsg(2) per socket queue; on a failed message, sendmmsg
// reports only "n sent", so the call is repeated from the failed message to learn (and count) its errno,
// then continues past it. Errors are counted per output slot by errno, never fatal.
// MSG_DONTWAIT: a full send buffer (an egress queue the device does not drain, e.g. no carrier) costs
// EAGAIN drops on that output instead of blocking the engine thread, every other output and stop().
#include <cerrno>

#include "egress.h"

namespace mcr {

namespace {

class MmsgSender final : public Sender {
 public:
  void flush(SendBatch& batch, CounterBlock& counters) override {
    uint64_t* g = counters.global();
    for (uint32_t qi : batch.dirty_) {
      SendBatch::Queue& q = batch.queues_[qi];
      uint32_t i = 0;
      while (i < q.count) {
        int n = sendmmsg(q.fd, &q.msgs[i], q.count - i, MSG_DONTWAIT);
        counter_add(g + kTxBatches, 1);
        if (n > 0) {
          for (uint32_t j = i; j < i + static_cast<uint32_t>(n); ++j)
            SendBatch::account(counters, q, j, q.msgs[j].msg_len);
          i += static_cast<uint32_t>(n);
        } else {
          int err = n < 0 ? errno : EIO;
          if (err == EINTR) continue;
          SendBatch::account(counters, q, i, -err);
          ++i;
        }
      }
    }
    batch.reset();
  }
};

}  // namespace

std::unique_ptr<Sender> make_mmsg_sender() { return std::make_unique<MmsgSender>(); }

}  // namespace mcr
