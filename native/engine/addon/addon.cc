// addon: the mcr_native module entry point; only registers the parts (parse_wrap, layout_wrap, engine_wrap, netlink_wrap, privilege, proto_wrap).
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

NODE_API_MODULE(mcr_native, Init)
