// A minimal JSON writer for the tools' reports (no dependency, no per-packet use): keys and values in
// call order, commas handled, strings escaped.
//   JsonWriter w; w.begin_object(); w.key("sent"); w.value(uint64_t{10}); w.end_object();  // {"sent":10}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mcrt {

class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(const char* k);
  void value(uint64_t v);
  void value(double v);
  void value(const std::string& v);
  void null();
  /** field - key + value in one call. */
  template <typename T> void field(const char* k, const T& v) { key(k); value(v); }
  const std::string& str() const { return out_; }

 private:
  void comma();
  void write_string(const std::string& v);
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace mcrt
