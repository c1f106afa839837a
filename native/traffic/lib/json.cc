// JSON writer; see json.h.
#include "json.h"

#include <cmath>
#include <cstdio>

namespace mcrt {

void JsonWriter::comma() {
  if (after_key_) { after_key_ = false; return; }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

void JsonWriter::begin_object() { comma(); out_ += '{'; first_.push_back(true); }
void JsonWriter::end_object() { out_ += '}'; first_.pop_back(); }
void JsonWriter::begin_array() { comma(); out_ += '['; first_.push_back(true); }
void JsonWriter::end_array() { out_ += ']'; first_.pop_back(); }

void JsonWriter::key(const char* k) {
  comma();
  write_string(k);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::value(uint64_t v) { comma(); out_ += std::to_string(v); }

void JsonWriter::value(double v) {
  comma();
  if (!std::isfinite(v)) { out_ += "null"; return; }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  out_ += buf;
}

void JsonWriter::value(const std::string& v) {
  comma();
  write_string(v);
}

void JsonWriter::write_string(const std::string& v) {
  out_ += '"';
  for (char c : v) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out_ += buf;
        } else {
          out_ += c;
        }
    }
  }
  out_ += '"';
}

void JsonWriter::null() { comma(); out_ += "null"; }

}  // namespace mcrt
