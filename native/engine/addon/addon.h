// addon: registration hooks of the mcr_native module's parts (each *_wrap.cc exports one Init*).
#pragma once

#include <napi.h>

#include "setup_error.h"

namespace mcr {

void InitParse(Napi::Env env, Napi::Object exports);
void InitLayout(Napi::Env env, Napi::Object exports);
void InitEngine(Napi::Env env, Napi::Object exports);
void InitNetlink(Napi::Env env, Napi::Object exports);
void InitPrivilege(Napi::Env env, Napi::Object exports);
void InitProto(Napi::Env env, Napi::Object exports);

/* A SetupError as the JS Error relay/ rethrows (EngineError): code, errno, syscall, iface, hint. */
[[noreturn]] void throw_setup(Napi::Env env, const SetupError& e);

}  // namespace mcr
