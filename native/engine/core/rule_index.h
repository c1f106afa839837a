// rule_index: O(1) lookup (ingress ifindex, dst ip, dst port[, source ip]) -> rule index.
//
// Open addressing with linear probing over a power-of-two array sized to at most 50 % load, built once
// off the packet path and then read-only, so lookups never allocate or lock. A key with port 0 is an
// any-port rule (IGMP-learned routes match every UDP port of their group). Precedence, most specific
// first: (source, port), (source, any port), (any source, port), (any source, any port) — the source
// outranks the port because an (S,G) route is the more specific forwarding state (as in the kernel's
// MFC), whatever port its (*,G) sibling names. Each step is probed only when the index holds a rule of
// that kind at all, so a table without source or any-port rules costs one probe as before.
// Besides build, single keys go in and out (insert/erase: backward-shift deletion, no tombstones), so a
// rule change copies the slot array and edits the copy instead of rebuilding it (Engine::update_rules).
// Exercised by native/test/test_rules.cc and native/test/test_rule_update.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mcr {

struct RuleKey {
  uint32_t ifindex;
  uint32_t dst_ip;  // host byte order
  uint32_t src_ip;  // host byte order; 0 = any source
  uint16_t port;    // 0 = any port

  bool operator==(const RuleKey&) const = default;
};

class RuleIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  /**
   * build - replace the contents with keys[i] -> values[i].
   * Return: -1 on success, else the position in keys of the first duplicate key.
   */
  long build(const std::vector<RuleKey>& keys, const std::vector<uint32_t>& values);

  /* insert - add @k -> @value (value != kNone), growing to stay at most half full.
     Return: false, and nothing changed, if @k is already there. */
  bool insert(const RuleKey& k, uint32_t value);
  /* erase - remove @k; the array shrinks when it falls below 1/8 full. Return: whether @k was there. */
  bool erase(const RuleKey& k);
  /* The value of exactly @k (no precedence fallback), or kNone. */
  uint32_t get(const RuleKey& k) const { return probe(k); }
  /* Calls fn(key, value) for every entry, in no particular order. */
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Slot& s : slots_)
      if (s.value != kNone) fn(s.key, s.value);
  }

  /* Rule for a packet, in the precedence order above; kNone if none matches. */
  uint32_t find(uint32_t ifindex, uint32_t dst_ip, uint16_t port, uint32_t src_ip) const {
    uint32_t v;
    if (source_keys_ != 0 && src_ip != 0) {
      if ((v = probe({ifindex, dst_ip, src_ip, port})) != kNone) return v;
      if (any_port_keys_ != 0 && (v = probe({ifindex, dst_ip, src_ip, 0})) != kNone) return v;
    }
    if ((v = probe({ifindex, dst_ip, 0, port})) != kNone) return v;
    return any_port_keys_ != 0 ? probe({ifindex, dst_ip, 0, 0}) : kNone;
  }

  size_t size() const { return count_; }
  size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    RuleKey key;
    uint32_t value;  // kNone = empty
  };

  static uint64_t hash(const RuleKey& k) {
    uint64_t h = (uint64_t{k.dst_ip} << 32 | k.src_ip) ^ (uint64_t{k.ifindex} << 16 | k.port) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }

  uint32_t probe(const RuleKey& k) const {
    if (slots_.empty()) return kNone;
    for (size_t i = hash(k) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kNone) return kNone;
      if (s.key == k) return s.value;
    }
  }

  /* Re-place every entry into an array of @cap slots (a power of two >= 16). */
  void rehash(size_t cap);
  /* Place @k (known absent) into the array, which has room. */
  void place(const RuleKey& k, uint32_t value);
  /* The array size build gives @n keys: the smallest power of two >= 16 and >= 2n. */
  static size_t capacity_for(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    return cap;
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
  size_t source_keys_ = 0;    // keys with a source: 0 skips the source probes
  size_t any_port_keys_ = 0;  // keys with port 0: 0 skips the any-port probes
};

}  // namespace mcr
