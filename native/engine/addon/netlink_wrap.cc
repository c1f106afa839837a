// netlink_wrap: exposes native/engine/core/netlink_watch to JS.
//   new NetlinkWatch().start(onEvents)  events arrive in batches on the JS thread, through a
//                                       thread-safe function; the reader thread never touches JS.
//   .stop()                             joins the reader; no callback after it returns
//   netlinkSnapshot()                   every interface with flags, MTU, MAC and IPv4 addresses
// The queue towards JS is bounded: when JS falls that far behind, batches are dropped and the next
// one that gets through carries a 'resync' event, so the reader re-reads instead of missing changes.
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <napi.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <net/if.h>
#include <string>
#include <vector>

#include "addon.h"
#include "netlink_watch.h"
#include "route_lookup.h"
#include "setup_error.h"

namespace mcr {

namespace {

constexpr size_t kQueueBatches = 1024;

std::string dotted(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." + std::to_string((ip >> 8) & 255) +
         "." + std::to_string(ip & 255);
}

std::string hex_mac(const uint8_t* mac, size_t len) {
  std::string s;
  char b[4];
  for (size_t i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, i ? ":%02x" : "%02x", mac[i]);
    s += b;
  }
  return s;
}

Napi::Object event_object(Napi::Env env, const NlEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  switch (e.kind) {
    case NlEvent::Kind::Resync:
      o.Set("kind", "resync");
      return o;
    case NlEvent::Kind::Error:
      o.Set("kind", "error");
      o.Set("errno", Napi::Number::New(env, e.err));
      o.Set("code", errno_name(e.err));
      return o;
    case NlEvent::Kind::Link:
      o.Set("kind", "link");
      o.Set("up", Napi::Boolean::New(env, (e.flags & IFF_UP) != 0));
      o.Set("running", Napi::Boolean::New(env, (e.flags & IFF_RUNNING) != 0));
      if (e.mtu) o.Set("mtu", Napi::Number::New(env, e.mtu));
      if (e.mac_len) o.Set("mac", hex_mac(e.mac, e.mac_len));
      break;
    case NlEvent::Kind::Addr:
      o.Set("kind", "addr");
      o.Set("address", dotted(e.addr));
      o.Set("prefixLength", Napi::Number::New(env, e.prefix));
      break;
  }
  o.Set("ifindex", Napi::Number::New(env, e.ifindex));
  o.Set("name", e.name);
  o.Set("removed", Napi::Boolean::New(env, e.removed));
  return o;
}

class NetlinkWatchWrap : public Napi::ObjectWrap<NetlinkWatchWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkWatch",
                       {InstanceMethod("start", &NetlinkWatchWrap::Start), InstanceMethod("stop", &NetlinkWatchWrap::Stop)});
  }

  explicit NetlinkWatchWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkWatchWrap>(info) {}
  ~NetlinkWatchWrap() override { shutdown(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "NetlinkWatch.start: onEvents must be a function");
    if (watch_) throw Napi::Error::New(env, "NetlinkWatch.start: already started");
    std::unique_ptr<NetlinkWatch> w;
    try {
      w = std::make_unique<NetlinkWatch>([this](std::vector<NlEvent>&& ev) { deliver(std::move(ev)); });
    } catch (const SetupError& e) {
      throw_setup(env, e);
    }
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "mcr-netlink", kQueueBatches, 1);
    tsfn_.Unref(env);  // the daemon's own handles decide whether the process stays up
    watch_ = std::move(w);
    watch_->start();
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    shutdown();
    return info.Env().Undefined();
  }

  void shutdown() {
    if (!watch_) return;
    watch_->stop();  // joined: deliver() is not running and never will again
    watch_.reset();
    tsfn_.Release();
  }

  /* Reader thread. */
  void deliver(std::vector<NlEvent>&& ev) {
    if (overrun_.exchange(false)) {
      NlEvent r;
      r.kind = NlEvent::Kind::Resync;
      ev.push_back(r);
    }
    auto* batch = new std::vector<NlEvent>(std::move(ev));
    if (tsfn_.NonBlockingCall(batch, CallJs) != napi_ok) {
      delete batch;
      overrun_.store(true);
    }
  }

  static void CallJs(Napi::Env env, Napi::Function cb, std::vector<NlEvent>* batch) {
    std::unique_ptr<std::vector<NlEvent>> own(batch);
    if (env == nullptr || cb.IsEmpty()) return;  // the function is being torn down
    Napi::Array arr = Napi::Array::New(env, own->size());
    for (uint32_t i = 0; i < own->size(); ++i) arr.Set(i, event_object(env, (*own)[i]));
    try {
      cb.Call({arr});
    } catch (const Napi::Error& e) {
      e.ThrowAsJavaScriptException();  // reported as an uncaught exception, like any callback's
    }
  }

  std::unique_ptr<NetlinkWatch> watch_;
  Napi::ThreadSafeFunction tsfn_;
  std::atomic<bool> overrun_{false};
};

Napi::Value Snapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IfSnapshot> all;
  try {
    all = netlink_snapshot();
  } catch (const SetupError& e) {
    throw_setup(env, e);
  }
  Napi::Array arr = Napi::Array::New(env, all.size());
  for (uint32_t i = 0; i < all.size(); ++i) {
    const IfSnapshot& s = all[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", Napi::Number::New(env, s.ifindex));
    o.Set("name", s.name);
    o.Set("up", Napi::Boolean::New(env, (s.flags & IFF_UP) != 0));
    o.Set("running", Napi::Boolean::New(env, (s.flags & IFF_RUNNING) != 0));
    o.Set("mtu", Napi::Number::New(env, s.mtu));
    o.Set("mac", hex_mac(s.mac, s.mac_len));
    Napi::Array addrs = Napi::Array::New(env, s.addrs.size());
    for (uint32_t j = 0; j < s.addrs.size(); ++j) addrs.Set(j, dotted(s.addrs[j].first) + "/" + std::to_string(s.addrs[j].second));
    o.Set("addresses", addrs);
    arr.Set(i, o);
  }
  return arr;
}

}  // namespace

/* routeGet(dst) -> { ifindex, interface, gateway | null, metric, protocol, type } | { error } (route_lookup.h). */
Napi::Value RouteGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  in_addr a{};
  if (!info[0].IsString() || inet_pton(AF_INET, info[0].As<Napi::String>().Utf8Value().c_str(), &a) != 1)
    throw Napi::TypeError::New(env, "routeGet: expected a dotted-quad IPv4 address");
  RouteAnswer r;
  const int err = route_get(ntohl(a.s_addr), &r);
  Napi::Object o = Napi::Object::New(env);
  if (err != 0) {
    o.Set("error", errno_name(err));
    return o;
  }
  char name[IF_NAMESIZE] = {};
  o.Set("ifindex", Napi::Number::New(env, r.ifindex));
  o.Set("interface", if_indextoname(r.ifindex, name) ? Napi::Value(Napi::String::New(env, name)) : env.Null());
  o.Set("gateway", r.gateway ? Napi::Value(Napi::String::New(env, dotted(r.gateway))) : env.Null());
  o.Set("metric", Napi::Number::New(env, r.metric));
  o.Set("protocol", Napi::Number::New(env, r.protocol));
  o.Set("type", Napi::String::New(env, r.type == RTN_UNICAST ? "unicast" : r.type == RTN_LOCAL ? "local" : "other"));
  return o;
}

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("routeGet", Napi::Function::New(env, RouteGet, "routeGet"));
  exports.Set("NetlinkWatch", NetlinkWatchWrap::Define(env));
  exports.Set("netlinkSnapshot", Napi::Function::New(env, Snapshot, "netlinkSnapshot"));
}

}  // namespace mcr
