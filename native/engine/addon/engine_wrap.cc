// engine_wrap: the Engine ObjectWrap. Type checks only (relay/ has validated the values), copies the JS
// objects once into EngineConfig/RuleSpec, and turns SetupError into a JS Error carrying
// code/errno/syscall/iface/hint (relay/engine/engine.ts rethrows it as EngineError).
// The wrap owns the engine thread: stop() joins it, and so does the finalizer.
// PIM source reports (source_watch.h) reach JS through onSources(cb): the engine thread only queues a
// wake-up (no allocation) when its report ring turns non-empty; the JS thread drains up to kBatch
// reports per call and comes back for the rest. The ring lives in a SourceState the thread-safe
// function owns, freed by its finalizer after the last queued call, so a late wake-up never touches
// freed memory.
#include <arpa/inet.h>
#include <napi.h>

#include <memory>
#include <string>

#include "addon.h"
#include "engine.h"
#include "setup_error.h"

namespace mcr {

namespace {

[[noreturn]] void type_error(Napi::Env env, const std::string& path, const char* expected) {
  throw Napi::TypeError::New(env, path + ": expected " + expected);
}

Napi::Object object_at(Napi::Env env, Napi::Value v, const std::string& path) {
  if (!v.IsObject() || v.IsArray()) type_error(env, path, "an object");
  return v.As<Napi::Object>();
}

std::string string_at(Napi::Env env, Napi::Object o, const char* key, const std::string& path) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) type_error(env, path + "." + key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

double number_at(Napi::Env env, Napi::Object o, const char* key, const std::string& path, double lo, double hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) type_error(env, path + "." + key, "a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || d != static_cast<double>(static_cast<long long>(d)))
    throw Napi::RangeError::New(env, path + "." + key + ": expected an integer " + std::to_string(static_cast<long long>(lo)) +
                                         ".." + std::to_string(static_cast<long long>(hi)));
  return d;
}

bool has(Napi::Object o, const char* key) { return o.Has(key) && !o.Get(key).IsUndefined(); }

uint32_t ipv4_at(Napi::Env env, Napi::Object o, const char* key, const std::string& path) {
  std::string s = string_at(env, o, key, path);
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) type_error(env, path + "." + key, "a dotted-quad IPv4 address");
  return ntohl(a.s_addr);
}

bool bool_at(Napi::Env env, Napi::Object o, const char* key, const std::string& path) {
  if (!has(o, key)) return false;
  if (!o.Get(key).IsBoolean()) type_error(env, path + "." + key, "a boolean");
  return o.Get(key).As<Napi::Boolean>().Value();
}

std::string dotted(uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

constexpr uint32_t kBatch = 256;

struct SourceState {
  std::shared_ptr<SourceWatch> watch;
  napi_threadsafe_function tsfn = nullptr;
  bool closed = false;  // JS thread only
};

void wake(SourceState* st) { napi_call_threadsafe_function(st->tsfn, nullptr, napi_tsfn_nonblocking); }

void DrainSources(Napi::Env env, Napi::Function cb, SourceState* st, void*) {
  if (env == nullptr || cb.IsEmpty() || st == nullptr || st->closed) return;
  SourceWatch& w = *st->watch;
  w.rearm();
  SourceReport reports[kBatch];
  const uint32_t n = w.drain(reports, kBatch);
  if (w.claim_notify()) wake(st);  // more than one batch waiting: come back after other callbacks
  if (n == 0) return;
  Napi::Array arr = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", Napi::Number::New(env, reports[i].ifindex));
    o.Set("source", dotted(reports[i].source));
    o.Set("group", dotted(reports[i].group));
    o.Set("local", Napi::Boolean::New(env, reports[i].local != 0));
    o.Set("routed", Napi::Boolean::New(env, reports[i].routed != 0));
    o.Set("atMs", Napi::Number::New(env, static_cast<double>(reports[i].at_ns) / 1e6));
    arr.Set(i, o);
  }
  try {
    cb.Call({arr});
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  }
}
using SourceTsfn = Napi::TypedThreadSafeFunction<SourceState, void, DrainSources>;

/* An output's `register` object: {} = the datagram as received; { source, group, port, ttl, tos? } =
   as a static output re-originates it (register_encap.h). */
RegisterSpec register_at(Napi::Env env, Napi::Object o, const std::string& path) {
  RegisterSpec r;
  if (!has(o, "source")) return r;
  r.relayed = true;
  r.source = ipv4_at(env, o, "source", path);
  r.group = ipv4_at(env, o, "group", path);
  r.port = static_cast<uint16_t>(number_at(env, o, "port", path, 0, 65535));
  r.ttl = static_cast<uint8_t>(number_at(env, o, "ttl", path, 1, 255));
  r.tos = has(o, "tos") ? static_cast<uint8_t>(number_at(env, o, "tos", path, 0, 255)) : 0;
  return r;
}


class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeEngine",
                       {InstanceMethod("setRules", &EngineWrap::SetRules), InstanceMethod("updateRules", &EngineWrap::UpdateRules),
                        InstanceMethod("start", &EngineWrap::Start),
                        InstanceMethod("stop", &EngineWrap::Stop), InstanceMethod("onSources", &EngineWrap::OnSources),
                        InstanceMethod("counterBuffer", &EngineWrap::CounterBuffer)});
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = object_at(env, info[0], "options");
    EngineConfig cfg;
    std::string backend = string_at(env, o, "backend", "options");
    if (backend == "mmsg")
      cfg.backend = Backend::Mmsg;
    else if (backend == "uring")
      cfg.backend = Backend::Uring;
    else
      type_error(env, "options.backend", "'mmsg' or 'uring'");
    if (has(o, "fanoutGroup")) cfg.fanout_group = static_cast<int>(number_at(env, o, "fanoutGroup", "options", 0, 65535));
    if (has(o, "cpu")) cfg.cpu = static_cast<int>(number_at(env, o, "cpu", "options", 0, 1023));
    // Ranges are relay/engine/options.ts's; here only what the C++ field can hold (uint32_t, a u16
    // fanout id, a cpu_set_t index, TPACKET_V2 or V3). Engine() still refuses a ring the kernel would.
    constexpr double kU32 = 4294967295.0;
    if (has(o, "ringBlockSize")) cfg.ring.block_size = static_cast<uint32_t>(number_at(env, o, "ringBlockSize", "options", 0, kU32));
    if (has(o, "ringBlockCount")) cfg.ring.block_count = static_cast<uint32_t>(number_at(env, o, "ringBlockCount", "options", 0, kU32));
    if (has(o, "ringRetireMs")) cfg.ring.retire_ms = static_cast<uint32_t>(number_at(env, o, "ringRetireMs", "options", 0, kU32));
    if (has(o, "ringVersion")) cfg.ring.version = static_cast<int>(number_at(env, o, "ringVersion", "options", 2, 3));
    if (has(o, "busyPollUs"))
      cfg.poll = PollPolicy::fixed(static_cast<uint64_t>(number_at(env, o, "busyPollUs", "options", 0, kU32)) * 1000);
    if (has(o, "adaptivePoll")) {
      if (!o.Get("adaptivePoll").IsBoolean()) type_error(env, "options.adaptivePoll", "a boolean");
      if (o.Get("adaptivePoll").As<Napi::Boolean>().Value()) {
        if (cfg.poll.mode == PollPolicyConfig::Mode::Fixed)
          type_error(env, "options.adaptivePoll", "false when busyPollUs is set (a fixed window or adaptive, not both)");
        cfg.poll = PollPolicy::adaptive();
      }
    }
    if (has(o, "egress")) {
      std::string eg = string_at(env, o, "egress", "options");
      if (eg != "socket" && eg != "packet") type_error(env, "options.egress", "'socket' or 'packet'");
      cfg.egress_packet = eg == "packet";
    }
    if (has(o, "gso")) {
      if (!o.Get("gso").IsBoolean()) type_error(env, "options.gso", "a boolean");
      cfg.gso = o.Get("gso").As<Napi::Boolean>().Value();
      if (cfg.gso && !packet_gso_supported())
        type_error(env, "options.gso", "false on this kernel (UDP GSO frames on packet sockets need Linux 6.2)");
    }
    if (has(o, "igmpJoin")) {
      if (!o.Get("igmpJoin").IsBoolean()) type_error(env, "options.igmpJoin", "a boolean");
      cfg.igmp_join = o.Get("igmpJoin").As<Napi::Boolean>().Value();
    }
    if (has(o, "filter")) {
      std::string f = string_at(env, o, "filter", "options");
      if (f != "rules" && f != "udp") type_error(env, "options.filter", "'rules' or 'udp'");
      cfg.filter_any_udp = f == "udp";
    }
    try {
      engine_ = std::make_unique<Engine>(cfg);
    } catch (const SetupError& e) {
      throw_setup(env, e);
    } catch (const std::exception& e) {  // node-addon-api only converts Napi::Error by itself
      throw Napi::Error::New(env, std::string("Engine: ") + e.what());
    }
  }

 private:
  /* Copy JS rules (already validated by relay/engine/engine.ts) into RuleSpecs; @what names them in type errors. */
  static std::vector<RuleSpec> rule_specs(Napi::Env env, const Napi::Value& v, const std::string& what) {
    if (!v.IsArray()) type_error(env, what, "an array");
    Napi::Array arr = v.As<Napi::Array>();
    std::vector<RuleSpec> rules;
    rules.reserve(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const std::string p = what + "[" + std::to_string(i) + "]";
      Napi::Object r = object_at(env, arr.Get(i), p);
      RuleSpec spec;
      spec.id = string_at(env, r, "id", p);
      spec.slot = static_cast<uint32_t>(number_at(env, r, "slot", p, 0, kMaxRuleSlots - 1));
      Napi::Object in = object_at(env, r.Get("input"), p + ".input");
      spec.in_ifname = string_at(env, in, "interface", p + ".input");
      spec.in_group = ipv4_at(env, in, "group", p + ".input");
      spec.in_port = static_cast<uint16_t>(number_at(env, in, "port", p + ".input", 0, 65535));
      spec.in_source = has(in, "source") ? ipv4_at(env, in, "source", p + ".input") : 0;
      Napi::Value outs_v = r.Get("outputs");
      if (!outs_v.IsArray()) type_error(env, p + ".outputs", "an array");
      Napi::Array outs = outs_v.As<Napi::Array>();
      for (uint32_t j = 0; j < outs.Length(); ++j) {
        const std::string op = p + ".outputs[" + std::to_string(j) + "]";
        Napi::Object o = object_at(env, outs.Get(j), op);
        OutputSpec os;
        os.slot = static_cast<uint32_t>(number_at(env, o, "slot", op, 0, kMaxOutputSlots - 1));
        os.ifname = string_at(env, o, "interface", op);
        os.group = ipv4_at(env, o, "group", op);
        os.port = static_cast<uint16_t>(number_at(env, o, "port", op, 0, 65535));
        os.ttl = static_cast<int>(number_at(env, o, "ttl", op, 1, 255));
        os.tos = has(o, "tos") ? static_cast<int>(number_at(env, o, "tos", op, 0, 255)) : -1;
        os.keep_source = bool_at(env, o, "keepSource", op);
        if (has(o, "source")) os.source = ipv4_at(env, o, "source", op);
        os.report_local = bool_at(env, o, "reportLocal", op);
        if (has(o, "register")) {
          os.pim_register = true;
          os.reg = register_at(env, object_at(env, o.Get("register"), op + ".register"), op + ".register");
        }
        spec.outputs.push_back(std::move(os));
      }
      rules.push_back(std::move(spec));
    }
    return rules;
  }

  /* An optional array of interface names at capture.@key. */
  static std::vector<std::string> names_at(Napi::Env env, const Napi::Object& capture, const char* key) {
    std::vector<std::string> names;
    const Napi::Value v = capture.Get(key);
    if (v.IsUndefined()) return names;
    const std::string at = std::string("capture.") + key;
    if (!v.IsArray()) type_error(env, at, "an array of interface names");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      if (!a.Get(i).IsString()) type_error(env, at + "[" + std::to_string(i) + "]", "an interface name");
      names.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    }
    return names;
  }

  /* What is captured besides the rules' inputs (Capture): an optional { watch?, hold? } at @v. */
  static Capture capture_at(Napi::Env env, const Napi::Value& v) {
    if (v.IsUndefined()) return {};
    if (!v.IsObject() || v.IsArray()) type_error(env, "capture", "an object { watch?: string[], hold?: string[] }");
    const Napi::Object o = v.As<Napi::Object>();
    return Capture{names_at(env, o, "watch"), names_at(env, o, "hold")};
  }

  /* Run a table change, turning engine failures into JS errors. */
  template <typename F>
  static void change(Napi::Env env, const char* what, F&& f) {
    try {
      f();
    } catch (const SetupError& e) {
      throw_setup(env, e);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string(what) + ": " + e.what());
    }
  }

  /* setRules(rules: EngineRule[], capture?: Capture): see Engine::set_rules. */
  Napi::Value SetRules(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<RuleSpec> rules = rule_specs(env, info[0], "rules");
    Capture capture = capture_at(env, info[1]);
    change(env, "setRules", [&] { engine_->set_rules(std::move(rules), std::move(capture)); });
    return env.Undefined();
  }

  /* updateRules(removeIds: string[], add: EngineRule[], capture?: Capture): see Engine::update_rules. */
  Napi::Value UpdateRules(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) type_error(env, "remove", "an array of rule ids");
    Napi::Array ids = info[0].As<Napi::Array>();
    std::vector<std::string> remove;
    remove.reserve(ids.Length());
    for (uint32_t i = 0; i < ids.Length(); ++i) {
      if (!ids.Get(i).IsString()) type_error(env, "remove[" + std::to_string(i) + "]", "a rule id (string)");
      remove.push_back(ids.Get(i).As<Napi::String>().Utf8Value());
    }
    std::vector<RuleSpec> add = rule_specs(env, info[1], "add");
    Capture capture = capture_at(env, info[2]);
    change(env, "updateRules", [&] { engine_->update_rules(remove, std::move(add), std::move(capture)); });
    return env.Undefined();
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    try {
      engine_->start();
    } catch (const SetupError& e) {
      throw_setup(info.Env(), e);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), std::string("start: ") + e.what());
    }
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    engine_->stop();
    return info.Env().Undefined();
  }

  /* onSources(cb): cb(reports) on the JS thread; once, before start(). */
  Napi::Value OnSources(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) type_error(env, "onSources", "a function");
    if (sources_ || engine_->running()) throw Napi::Error::New(env, "onSources: call it once, before start()");
    sources_ = new SourceState{engine_->source_watch()};
    tsfn_ = SourceTsfn::New(env, info[0].As<Napi::Function>(), "mcr-sources", 0, 1, sources_,
                            [](Napi::Env, void*, SourceState* st) { delete st; });
    tsfn_.Unref(env);  // the worker's IPC channel decides whether the process stays up
    sources_->tsfn = tsfn_;
    SourceState* st = sources_;
    engine_->source_watch()->set_notify([st] { wake(st); });
    return env.Undefined();
  }

 public:
  ~EngineWrap() override {
    engine_.reset();  // joins the engine thread: no wake-up is queued after this
    if (sources_) {
      sources_->closed = true;
      tsfn_.Release();  // its finalizer frees sources_ after the queued calls (which see closed)
    }
  }

 private:

  /* The counter block as an external ArrayBuffer; the buffer keeps the memory alive on its own. */
  Napi::Value CounterBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!buffer_ref_.IsEmpty()) return buffer_ref_.Value();
    auto* keep = new std::shared_ptr<CounterBlock>(engine_->counters());
    Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(
        env, (*keep)->words(), (*keep)->bytes(),
        [](Napi::Env, void*, std::shared_ptr<CounterBlock>* k) { delete k; }, keep);
    buffer_ref_ = Napi::Persistent(buf);
    return buf;
  }

  std::unique_ptr<Engine> engine_;
  Napi::Reference<Napi::ArrayBuffer> buffer_ref_;
  SourceState* sources_ = nullptr;
  SourceTsfn tsfn_;
};

}  // namespace

void InitEngine(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeEngine", EngineWrap::Define(env));
  exports.Set("gsoSupported", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), packet_gso_supported());
  }, "gsoSupported"));
}

}  // namespace mcr
