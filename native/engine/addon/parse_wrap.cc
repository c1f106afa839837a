// parse_wrap: exposes the native parser to JS as parseFrame(frame: Uint8Array, vlanTci?: number), and
// benchRuleLookup (the rule index timed in C++). Used by relay/engine/engine.ts (tests, bench/).
#include <napi.h>

#include <string>

#include "addon.h"
#include "parse.h"
#include "rule_bench.h"

namespace mcr {

namespace {

std::string dotted(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." + std::to_string((ip >> 8) & 255) +
         "." + std::to_string(ip & 255);
}

Napi::Value ParseFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "parseFrame: frame must be a Uint8Array");
  }
  auto frame = info[0].As<Napi::Uint8Array>();
  OobVlan oob{false, 0};
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "parseFrame: vlanTci must be a number");
    oob = OobVlan{true, static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value())};
  }
  ParsedFrame p;
  ParseStatus st = parse_frame(frame.Data(), frame.ByteLength(), oob, &p);
  Napi::Object out = Napi::Object::New(env);
  if (st != ParseStatus::Ok) {
    out.Set("error", kMalformedNames[static_cast<int>(st) - 1]);
    return out;
  }
  Napi::Array vlans = Napi::Array::New(env, p.vlan_count);
  for (uint32_t i = 0; i < p.vlan_count; ++i) vlans.Set(i, Napi::Number::New(env, p.vlan_ids[i]));
  out.Set("vlanIds", vlans);
  out.Set("source", dotted(p.src_ip));
  out.Set("destination", dotted(p.dst_ip));
  out.Set("sourcePort", Napi::Number::New(env, p.src_port));
  out.Set("destinationPort", Napi::Number::New(env, p.dst_port));
  out.Set("ttl", Napi::Number::New(env, p.ttl));
  out.Set("ipOffset", Napi::Number::New(env, p.ip_offset));
  out.Set("ipHeaderLength", Napi::Number::New(env, p.ip_header_len));
  out.Set("payloadOffset", Napi::Number::New(env, p.payload_offset));
  out.Set("payloadLength", Napi::Number::New(env, p.payload_len));
  return out;
}

/* benchRuleLookup(rules, lookups, sourceRules?) -> { nsPerLookup, hits }: times the index in C++. */
Napi::Value BenchRuleLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "benchRuleLookup(rules: number, lookups: number, sourceRules?: boolean)");
  const bool source = info.Length() > 2 && info[2].ToBoolean().Value();
  RuleBenchResult r = bench_rule_lookup(info[0].As<Napi::Number>().Uint32Value(),
                                        static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()), source);
  Napi::Object out = Napi::Object::New(env);
  out.Set("nsPerLookup", Napi::Number::New(env, r.ns_per_lookup));
  out.Set("hits", Napi::Number::New(env, static_cast<double>(r.hits)));
  return out;
}

}  // namespace

void InitParse(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFrame", Napi::Function::New(env, ParseFrame, "parseFrame"));
  exports.Set("benchRuleLookup", Napi::Function::New(env, BenchRuleLookup, "benchRuleLookup"));
}

}  // namespace mcr
