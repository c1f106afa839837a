// Counter block cases: layout constants (the JS facade reads them through the addon) and slot zeroing.
#include <cerrno>
#include <cstring>

#include "check.h"
#include "counters.h"

using namespace mcr;

TEST_CASE(counters_layout_sections_do_not_overlap) {
  CHECK_EQ(kRuleBase, kGlobalWords);
  CHECK_EQ(kOutputBase, kGlobalWords + kRuleWords * kMaxRuleSlots);
  CHECK_EQ(kTotalWords, kOutputBase + kOutputWords * kMaxOutputSlots);
  CHECK(kMalformedBase + kMalformedReasons <= kTxBatches);
  CHECK(kTableGeneration < kGlobalWords);
  CHECK(kOutErrnoBase + kErrnoBuckets <= kOutputWords);
  // Modest memory: under 10 MiB of address space, committed only where touched.
  CHECK(kTotalWords * 8 < 10u * 1024 * 1024);
}

TEST_CASE(counters_block_is_zeroed_and_slots_are_addressed) {
  auto cb = CounterBlock::create();
  CHECK(cb->words() != nullptr);
  CHECK_EQ(cb->global()[kRxFrames], 0u);
  CHECK(cb->rule(1) == cb->words() + kRuleBase + kRuleWords);
  CHECK(cb->output(kMaxOutputSlots - 1) + kOutputWords == cb->words() + kTotalWords);
  counter_add(cb->rule(5) + kRulePackets, 3);
  counter_add(cb->rule(5) + kRulePackets, 4);
  counter_add(cb->output(9) + kOutBytes, 100);
  CHECK_EQ(counter_get(cb->rule(5) + kRulePackets), 7u);
  cb->zero_rule(5);
  cb->zero_output(9);
  CHECK_EQ(counter_get(cb->rule(5) + kRulePackets), 0u);
  CHECK_EQ(counter_get(cb->output(9) + kOutBytes), 0u);
}

TEST_CASE(counters_errno_buckets) {
  CHECK_EQ(errno_bucket(ENOBUFS), 0);
  CHECK_EQ(errno_bucket(EAGAIN), 1);
  CHECK_EQ(errno_bucket(EWOULDBLOCK), 1);
  CHECK_EQ(errno_bucket(ENETUNREACH), 2);
  CHECK_EQ(errno_bucket(EPERM), 4);
  CHECK_EQ(errno_bucket(EIO), kErrnoBuckets - 1);
  CHECK(std::strcmp(kErrnoBucketNames[kErrnoBuckets - 1], "other") == 0);
  CHECK(std::strcmp(kErrnoBucketNames[errno_bucket(ENETUNREACH)], "ENETUNREACH") == 0);
}
