// addon: registration hooks of the mcr_native module's parts (each *_wrap.cc exports one Init*).
#pragma once

#include <napi.h>

namespace mcr {

void InitParse(Napi::Env env, Napi::Object exports);
void InitLayout(Napi::Env env, Napi::Object exports);
void InitEngine(Napi::Env env, Napi::Object exports);
void InitNetlink(Napi::Env env, Napi::Object exports);
void InitPrivilege(Napi::Env env, Napi::Object exports);
void InitProto(Napi::Env env, Napi::Object exports);

}  // namespace mcr
