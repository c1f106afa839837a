// addon: the mcr_native module entry point; registers the parts (parse_wrap, layout_wrap, engine_wrap, netlink_wrap, privilege, proto_wrap) and holds what they share.
#include <napi.h>

#include "addon.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mcr::InitParse(env, exports);
  mcr::InitLayout(env, exports);
  mcr::InitEngine(env, exports);
  mcr::InitNetlink(env, exports);
  mcr::InitPrivilege(env, exports);
  mcr::InitProto(env, exports);
  return exports;
}

}  // namespace

namespace mcr {

void throw_setup(Napi::Env env, const SetupError& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  err.Set("code", e.code);
  err.Set("errno", Napi::Number::New(env, e.err));
  err.Set("syscall", e.syscall);
  if (!e.iface.empty()) err.Set("iface", e.iface);
  err.Set("hint", e.hint);
  throw err;
}

}  // namespace mcr

NODE_API_MODULE(mcr_native, Init)
