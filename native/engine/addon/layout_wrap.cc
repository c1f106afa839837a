// layout_wrap: exports the counter block layout (native/engine/core/counters.h) as plain numbers and
// name lists, so relay/engine/engine.ts reads counters without duplicating any offset.
#include <napi.h>

#include "addon.h"
#include "counters.h"

namespace mcr {

namespace {

Napi::Array names(Napi::Env env, const char* const* list, int n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), list[i]);
  return a;
}

}  // namespace

void InitLayout(Napi::Env env, Napi::Object exports) {
  Napi::Object l = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { l.Set(k, Napi::Number::New(env, v)); };
  num("totalWords", kTotalWords);
  num("maxRuleSlots", kMaxRuleSlots);
  num("maxOutputSlots", kMaxOutputSlots);
  num("ruleBase", kRuleBase);
  num("ruleWords", kRuleWords);
  num("outputBase", kOutputBase);
  num("outputWords", kOutputWords);
  num("rxFrames", kRxFrames);
  num("rxBytes", kRxBytes);
  num("ringDrops", kRingDrops);
  num("ringFreezes", kRingFreezes);
  num("unmatched", kUnmatched);
  num("malformedBase", kMalformedBase);
  num("txBatches", kTxBatches);
  num("rxBlocks", kRxBlocks);
  num("tableGeneration", kTableGeneration);
  num("sourceWatchBase", kSourceWatchBase);
  num("rulePackets", kRulePackets);
  num("ruleBytes", kRuleBytes);
  num("ruleLastNs", kRuleLastNs);
  num("outPackets", kOutPackets);
  num("outBytes", kOutBytes);
  num("outSendErrors", kOutSendErrors);
  num("outErrnoBase", kOutErrnoBase);
  l.Set("malformedNames", names(env, kMalformedNames, kMalformedReasons));
  l.Set("errnoNames", names(env, kErrnoBucketNames, kErrnoBuckets));
  l.Set("sourceWatchNames", names(env, kSourceWatchNames, kSourceWatchCounters));
  exports.Set("layout", l);
}

}  // namespace mcr
