// proto_wrap: exposes native/engine/core/proto_rx and proto_tx to JS (relay/protocols/io/index.ts).
//   new NativeProtoRx(ipProtos).start(onPackets)  packets arrive in batches on the JS thread; the reader
//                                                 thread only fills the bounded ring and, when the ring
//                                                 turns non-empty, queues one wake-up (no allocation)
//   .resume()                                     after onPackets(pkts, more = true): drain the rest
//   .enable(ifname) -> ifindex | .disable(ifindex) | .counters() | .close() (joins the reader)
//   new NativeProtoTx(ipProtos).send(ifname, dst, proto, payload, ttl, routerAlert) -> null | errno name
// A drain takes at most kBatch packets. For the rest it does not queue another call itself: Node runs
// up to 1000 queued thread-safe calls in one go, so a flood would hold the event loop (timers, control
// socket, worker messages) for as long as it lasts: 16 s of Registers at the RP in the test VM. It
// tells JS `more` instead, which calls resume() from setImmediate, after timers and I/O had their turn.
// The ring and its counters live in a State the thread-safe function owns, freed by its finalizer
// after the last queued call, so a late wake-up never touches freed memory.
#include <arpa/inet.h>
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "proto_rx.h"
#include "proto_tx.h"
#include "setup_error.h"

namespace mcr {

namespace {

// Small: in the test VM a Register cost the RP ~30 ms of wall time under load, and a batch is what
// timers and worker messages may wait for.
constexpr uint32_t kBatch = 16;

std::string dotted(uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::vector<uint8_t> protos_at(Napi::Env env, Napi::Value v, const char* who) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(who) + ": ipProtos must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<uint8_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value p = a.Get(i);
    double d = p.IsNumber() ? p.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 254) || d != static_cast<double>(static_cast<int>(d)))
      throw Napi::TypeError::New(env, std::string(who) + ": ipProtos[" + std::to_string(i) + "] must be an integer 1..254");
    out.push_back(static_cast<uint8_t>(d));
  }
  return out;
}

struct RxState {
  std::unique_ptr<ProtoRx> rx;
  napi_threadsafe_function tsfn = nullptr;
  bool closed = false;  // JS thread only
};

/* A wake-up: one queued call without data, so neither side allocates. */
void wake(RxState* st) { napi_call_threadsafe_function(st->tsfn, nullptr, napi_tsfn_nonblocking); }

void DrainJs(Napi::Env env, Napi::Function cb, RxState* st, void* /*data*/);
using RxTsfn = Napi::TypedThreadSafeFunction<RxState, void, DrainJs>;

class ProtoRxWrap : public Napi::ObjectWrap<ProtoRxWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeProtoRx",
                       {InstanceMethod("start", &ProtoRxWrap::Start), InstanceMethod("enable", &ProtoRxWrap::Enable),
                        InstanceMethod("disable", &ProtoRxWrap::Disable), InstanceMethod("resume", &ProtoRxWrap::Resume),
                        InstanceMethod("counters", &ProtoRxWrap::Counters),
                        InstanceMethod("close", &ProtoRxWrap::Close)});
  }

  explicit ProtoRxWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProtoRxWrap>(info) {
    Napi::Env env = info.Env();
    std::vector<uint8_t> protos = protos_at(env, info[0], "NativeProtoRx");
    st_ = new RxState;
    try {
      st_->rx = std::make_unique<ProtoRx>(protos);
    } catch (const SetupError& e) {
      delete st_;
      st_ = nullptr;
      throw_setup(env, e);
    }
  }
  ~ProtoRxWrap() override { shutdown(); }

 private:
  ProtoRx& rx(Napi::Env env) {
    if (!st_ || st_->closed) throw Napi::Error::New(env, "NativeProtoRx: closed");
    return *st_->rx;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "NativeProtoRx.start: onPackets must be a function");
    ProtoRx& r = rx(env);
    if (started_) throw Napi::Error::New(env, "NativeProtoRx.start: already started");
    tsfn_ = RxTsfn::New(env, info[0].As<Napi::Function>(), "mcr-proto-rx", 0, 1, st_,
                        [](Napi::Env, void*, RxState* st) { delete st; });
    tsfn_.Unref(env);  // the daemon's own handles decide whether the process stays up
    started_ = true;
    st_->tsfn = tsfn_;
    RxState* st = st_;
    r.start([st] { wake(st); });
    return env.Undefined();
  }

  Napi::Value Enable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "NativeProtoRx.enable: ifname must be a string");
    try {
      return Napi::Number::New(env, rx(env).enable(info[0].As<Napi::String>().Utf8Value()));
    } catch (const SetupError& e) {
      throw_setup(env, e);
    }
  }

  Napi::Value Disable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "NativeProtoRx.disable: ifindex must be a number");
    rx(env).disable(info[0].As<Napi::Number>().Uint32Value());
    return env.Undefined();
  }

  Napi::Value Resume(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    rx(env);
    if (!started_) throw Napi::Error::New(env, "NativeProtoRx.resume: not started");
    wake(st_);
    return env.Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ProtoRx::Counters c = rx(env).counters();
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, static_cast<double>(c.received)));
    o.Set("queueDrops", Napi::Number::New(env, static_cast<double>(c.queue_drops)));
    o.Set("notEnabled", Napi::Number::New(env, static_cast<double>(c.not_enabled)));
    Napi::Object m = Napi::Object::New(env);
    for (int i = 0; i < kProtoDropReasons; ++i) m.Set(kProtoDropNames[i], Napi::Number::New(env, static_cast<double>(c.malformed[i])));
    o.Set("malformed", m);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    shutdown();
    return info.Env().Undefined();
  }

  void shutdown() {
    if (!st_) return;
    st_->rx->stop();  // joined: no wake-up is queued after this
    st_->closed = true;
    if (started_) tsfn_.Release();  // its finalizer frees st_ after the queued calls (which see closed)
    else delete st_;
    st_ = nullptr;
  }

  RxState* st_ = nullptr;
  RxTsfn tsfn_;
  bool started_ = false;
};

void DrainJs(Napi::Env env, Napi::Function cb, RxState* st, void*) {
  if (env == nullptr || cb.IsEmpty() || st == nullptr || st->closed) return;
  ProtoRx& rx = *st->rx;
  rx.rearm();
  ProtoRing& ring = rx.ring();
  Napi::Array arr = Napi::Array::New(env);
  uint32_t n = 0;
  ProtoMeta m;
  const uint8_t* data;
  uint32_t len;
  while (n < kBatch && ring.front(&m, &data, &len)) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", Napi::Number::New(env, m.ifindex));
    o.Set("src", dotted(m.src));
    o.Set("dst", dotted(m.dst));
    o.Set("ttl", Napi::Number::New(env, m.ttl));
    o.Set("routerAlert", Napi::Boolean::New(env, m.router_alert != 0));
    o.Set("ipProto", Napi::Number::New(env, m.proto));
    o.Set("rxAtMs", Napi::Number::New(env, static_cast<double>(m.rx_ns) / 1e6));
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, len);
    if (len) std::memcpy(ab.Data(), data, len);
    o.Set("payload", Napi::Uint8Array::New(env, len, ab, 0));
    ring.pop();
    arr.Set(n++, o);
  }
  // More waiting: the notification stays claimed (the reader queues nothing) until JS resumes.
  const bool more = rx.claim_notify();
  if (n == 0 && !more) return;
  try {
    cb.Call({arr, Napi::Boolean::New(env, more)});
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();  // reported as an uncaught exception, like any callback's
  }
}

class ProtoTxWrap : public Napi::ObjectWrap<ProtoTxWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeProtoTx", {InstanceMethod("send", &ProtoTxWrap::Send), InstanceMethod("forward", &ProtoTxWrap::Forward),
                                              InstanceMethod("close", &ProtoTxWrap::Close)});
  }

  explicit ProtoTxWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProtoTxWrap>(info) {
    Napi::Env env = info.Env();
    try {
      tx_ = std::make_unique<ProtoTx>(protos_at(env, info[0], "NativeProtoTx"));
    } catch (const SetupError& e) {
      throw_setup(env, e);
    }
  }

 private:
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!tx_) return Napi::String::New(env, "EBADF");
    if (!info[0].IsString() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsTypedArray() || !info[4].IsNumber())
      return Napi::String::New(env, "EINVAL");
    Napi::TypedArray ta = info[3].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_uint8_array) return Napi::String::New(env, "EINVAL");
    Napi::Uint8Array payload = info[3].As<Napi::Uint8Array>();
    in_addr dst{};
    if (inet_pton(AF_INET, info[1].As<Napi::String>().Utf8Value().c_str(), &dst) != 1) return Napi::String::New(env, "EINVAL");
    const double proto = info[2].As<Napi::Number>().DoubleValue();
    if (!(proto >= 0 && proto <= 255)) return Napi::String::New(env, "EPROTONOSUPPORT");
    int err = tx_->send(info[0].As<Napi::String>().Utf8Value(), ntohl(dst.s_addr), static_cast<uint8_t>(proto), payload.Data(),
                        payload.ByteLength(), info[4].As<Napi::Number>().Int32Value(), info[5].ToBoolean().Value());
    return err == 0 ? env.Null() : Napi::String::New(env, errno_name(err));
  }

  /* forward(ifname, ipDatagram) -> null | errno name (ProtoTx::forward). */
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!tx_) return Napi::String::New(env, "EBADF");
    if (!info[0].IsString() || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      return Napi::String::New(env, "EINVAL");
    Napi::Uint8Array ip = info[1].As<Napi::Uint8Array>();
    int err = tx_->forward(info[0].As<Napi::String>().Utf8Value(), ip.Data(), ip.ByteLength());
    return err == 0 ? env.Null() : Napi::String::New(env, errno_name(err));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    tx_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<ProtoTx> tx_;
};

}  // namespace

void InitProto(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeProtoRx", ProtoRxWrap::Define(env));
  exports.Set("NativeProtoTx", ProtoTxWrap::Define(env));
}

}  // namespace mcr
