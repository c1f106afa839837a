// privilege: `mcrd --user USER[:GROUP]` — switch the whole process from root to USER keeping only the
// capabilities asked for (CAP_NET_RAW), as permitted, effective, inheritable and ambient, so the
// data-plane workers forked later (fork + exec of node) start with exactly that capability.
// Also the user/group look-ups (NSS-aware: getpwnam_r, getgrnam_r, getgrouplist) it needs, and for a
// root start without --user (relay/daemon/least-privilege.ts): execRestricted, which re-executes mcrd
// with a bounding set of only what it keeps, so every thread of the new image holds no more; and
// limitCapabilities, which lowers the calling thread's sets to what it keeps once start-up is done.
// Exercised by relay/daemon/privilege.ts and relay/e2e/privilege.e2e.test.ts (/proc/PID/status).
//
// Order matters (capabilities(7)):
//   1. PR_SET_KEEPCAPS 1 — otherwise the uid change below empties the permitted set.
//   2. PR_CAPBSET_DROP every other capability (needs CAP_SETPCAP, so while still root).
//   3. setgroups, setresgid, setresuid — glibc's wrappers apply them to every thread of the
//      process (Node has several), so no thread keeps uid 0. Threads other than this one lose all
//      capabilities here: KEEPCAPS is per-thread and only set on this one.
//   4. capset — per-thread: this (the main JS) thread, which is the one that forks the workers.
//   5. PR_CAP_AMBIENT_RAISE — ambient capabilities are always cleared by a uid change from 0, so
//      they can only be raised now; they need the capability in permitted and inheritable.
//   6. PR_SET_KEEPCAPS 0, PR_SET_NO_NEW_PRIVS 1 (no setuid binary can give anything back).
//   7. Verify: ids as asked, capabilities as asked, and setresuid(0) now fails.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <napi.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "addon.h"

namespace mcr {

namespace {

struct Cap {
  const char* name;
  int value;
};
// The capabilities a caller may ask to keep. mcrd keeps net_raw; a root start also keeps, until its
// start-up is done, chown (--socket-group), net_bind_service (a metrics port below 1024) and setpcap
// (to drop those from the bounding set before the workers are forked).
constexpr Cap kKnownCaps[] = {
    {"net_raw", CAP_NET_RAW},
    {"net_admin", CAP_NET_ADMIN},
    {"net_bind_service", CAP_NET_BIND_SERVICE},
    {"chown", CAP_CHOWN},
    {"setpcap", CAP_SETPCAP},
};

[[noreturn]] void throwErrno(Napi::Env env, const std::string& call, int err) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : std::to_string(err);
  Napi::Error e = Napi::Error::New(env, call + ": " + code + " " + std::strerror(err));
  e.Set("code", code);
  e.Set("syscall", call);
  throw e;
}

[[noreturn]] void throwPlain(Napi::Env env, const std::string& msg) { throw Napi::Error::New(env, msg); }

int capset3(uint64_t eff, uint64_t prm, uint64_t inh) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {
      {static_cast<uint32_t>(eff), static_cast<uint32_t>(prm), static_cast<uint32_t>(inh)},
      {static_cast<uint32_t>(eff >> 32), static_cast<uint32_t>(prm >> 32), static_cast<uint32_t>(inh >> 32)},
  };
  return static_cast<int>(syscall(SYS_capset, &hdr, data));
}

int capget3(uint64_t& eff, uint64_t& prm, uint64_t& inh) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return -1;
  eff = data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  prm = data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
  inh = data[0].inheritable | (static_cast<uint64_t>(data[1].inheritable) << 32);
  return 0;
}

// The capability names in `v` (an array of strings) as numbers; TypeError for anything else.
std::vector<int> capList(Napi::Env env, Napi::Value v, const std::string& fn) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, fn + ": keep must be an array of capability names");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    std::string name = a.Get(i).ToString();
    const Cap* found = nullptr;
    for (const Cap& c : kKnownCaps) if (name == c.name) found = &c;
    if (!found) throw Napi::TypeError::New(env, fn + ": unknown capability \"" + name + "\"");
    out.push_back(found->value);
  }
  return out;
}

// Remove every capability outside `keep` from this thread's bounding set (needs CAP_SETPCAP).
void dropBounding(Napi::Env env, uint64_t keep) {
  for (int cap = 0; cap < 64; ++cap) {
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0 && errno == EINVAL) break;  // past the kernel's last capability
    if (r < 0) throwErrno(env, "prctl(PR_CAPBSET_READ, " + std::to_string(cap) + ")", errno);
    if (r == 1 && !(keep & (uint64_t{1} << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      throwErrno(env, "prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")", errno);
    }
  }
}

uint64_t keepMask(Napi::Env env, Napi::Value v, const std::string& fn) {
  uint64_t keep = 0;
  for (int cap : capList(env, v, fn)) keep |= uint64_t{1} << cap;
  return keep;
}

std::vector<std::string> stringList(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, "execRestricted: " + what + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!a.Get(i).IsString()) throw Napi::TypeError::New(env, "execRestricted: " + what + " must be an array of strings");
    out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  return out;
}

// execRestricted({ keep: string[], file, argv: string[], env: string[] }) → never returns; throws on a
// failed call. For a root process: the bounding set becomes `keep` (PR_CAPBSET_DROP, needs CAP_SETPCAP),
// the inheritable set what it holds of `keep`, no_new_privs is set, then execve. The kernel gives a uid-0
// exec the permitted and effective sets = the bounding set, and every thread the new image starts
// inherits them: unlike capset, which changes only the calling thread, nothing holds more afterwards.
Napi::Value ExecRestricted(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "execRestricted: expected one options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const uint64_t keep = keepMask(env, o.Get("keep"), "execRestricted");
  if (!o.Get("file").IsString()) throw Napi::TypeError::New(env, "execRestricted: file must be a string");
  const std::string file = o.Get("file").As<Napi::String>().Utf8Value();
  const std::vector<std::string> args = stringList(env, o.Get("argv"), "argv");
  const std::vector<std::string> vars = stringList(env, o.Get("env"), "env");
  if (syscall(SYS_gettid) != getpid()) throwPlain(env, "execRestricted: must run on the process's main thread");
  dropBounding(env, keep);
  uint64_t eff = 0, prm = 0, inh = 0;
  if (capget3(eff, prm, inh) != 0) throwErrno(env, "capget", errno);
  if (capset3(eff, prm, inh & keep) != 0) throwErrno(env, "capset", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throwErrno(env, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
  // Node marks the descriptors it opened for stdio close-on-exec; the new image must keep 0-2 (the log).
  for (int fd = 0; fd <= 2; ++fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) throwErrno(env, "fcntl(F_SETFD)", errno);
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : vars) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(file.c_str(), argv.data(), envp.data());
  throwErrno(env, "execve(" + file + ")", errno);
}

// limitCapabilities({ keep: string[] }) → { effective, permitted, bounding } (hex strings, as in
// /proc/PID/status). Lowers this thread's permitted, effective and inheritable sets to what it holds of
// `keep` (ambient bits outside them go with them), drops the rest of the bounding set if CAP_SETPCAP is
// still held, and sets no_new_privs. Verifies the result; throws on a failed call.
Napi::Value LimitCapabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "limitCapabilities: expected one options object");
  const uint64_t keep = keepMask(env, info[0].As<Napi::Object>().Get("keep"), "limitCapabilities");
  auto bounding = [] {
    uint64_t b = 0;
    for (int cap = 0; cap < 64; ++cap) {
      int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
      if (r < 0) break;
      if (r == 1) b |= uint64_t{1} << cap;
    }
    return b;
  };
  uint64_t eff = 0, prm = 0, inh = 0;
  if (capget3(eff, prm, inh) != 0) throwErrno(env, "capget", errno);
  if (eff & (uint64_t{1} << CAP_SETPCAP)) dropBounding(env, keep);
  const uint64_t left = prm & keep;
  // The inheritable set may only take what it had or the bounding set allows (capset(2)).
  if (capset3(left, left, left & (inh | bounding())) != 0) throwErrno(env, "capset", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throwErrno(env, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
  if (capget3(eff, prm, inh) != 0) throwErrno(env, "capget", errno);
  if (eff != left || prm != left) throwPlain(env, "limitCapabilities: capabilities did not change as asked");
  const uint64_t bnd = bounding();
  auto hex = [](uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return std::string(buf);
  };
  Napi::Object out = Napi::Object::New(env);
  out.Set("effective", hex(eff));
  out.Set("permitted", hex(prm));
  out.Set("bounding", hex(bnd));
  return out;
}

// limitBoundingSet({ keep: string[] }) → undefined: only the bounding set of this thread shrinks to
// `keep` (needs CAP_SETPCAP); the effective set stays, so start-up can finish what needs it while every
// process forked from now on (the workers) execs with no more than `keep`.
Napi::Value LimitBoundingSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "limitBoundingSet: expected one options object");
  dropBounding(env, keepMask(env, info[0].As<Napi::Object>().Get("keep"), "limitBoundingSet"));
  return env.Undefined();
}

uint32_t uintField(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("dropPrivileges: ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 0xfffffffe || d != static_cast<double>(static_cast<uint32_t>(d))) {
    throw Napi::TypeError::New(o.Env(), std::string("dropPrivileges: ") + key + " must be an integer id");
  }
  return static_cast<uint32_t>(d);
}

// dropPrivileges({ uid, gid, groups: number[], keep: string[] }) → undefined; throws Error
// { code: 'EPERM', syscall: 'setresuid' } on the first failing call. After a throw past step 3 the
// process is half-switched: the caller must exit.
Napi::Value DropPrivileges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "dropPrivileges: expected one options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const uid_t uid = uintField(o, "uid");
  const gid_t gid = uintField(o, "gid");
  if (!o.Get("groups").IsArray() || !o.Get("keep").IsArray()) throw Napi::TypeError::New(env, "dropPrivileges: groups and keep must be arrays");
  Napi::Array ga = o.Get("groups").As<Napi::Array>();
  std::vector<gid_t> groups;
  for (uint32_t i = 0; i < ga.Length(); ++i) {
    Napi::Value v = ga.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "dropPrivileges: groups must hold numbers");
    groups.push_back(static_cast<gid_t>(v.As<Napi::Number>().Uint32Value()));
  }
  std::vector<int> keepList = capList(env, o.Get("keep"), "dropPrivileges");
  uint64_t keep = 0;
  for (int cap : keepList) keep |= uint64_t{1} << cap;
  if (uid == 0) throwPlain(env, "dropPrivileges: uid 0 would drop nothing");
  // capset only changes the calling thread; the workers are forked from the main thread.
  if (syscall(SYS_gettid) != getpid()) throwPlain(env, "dropPrivileges: must run on the process's main thread");
  if (geteuid() != 0) throwPlain(env, "dropPrivileges: needs root (effective uid is " + std::to_string(geteuid()) + ")");

  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throwErrno(env, "prctl(PR_SET_KEEPCAPS, 1)", errno);
  dropBounding(env, keep);
  if (setgroups(groups.size(), groups.data()) != 0) throwErrno(env, "setgroups", errno);
  if (setresgid(gid, gid, gid) != 0) throwErrno(env, "setresgid(" + std::to_string(gid) + ")", errno);
  if (setresuid(uid, uid, uid) != 0) throwErrno(env, "setresuid(" + std::to_string(uid) + ")", errno);
  if (capset3(keep, keep, keep) != 0) throwErrno(env, "capset", errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) throwErrno(env, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
  for (int cap : keepList) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      throwErrno(env, "prctl(PR_CAP_AMBIENT_RAISE, " + std::to_string(cap) + ")", errno);
    }
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throwErrno(env, "prctl(PR_SET_KEEPCAPS, 0)", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throwErrno(env, "prctl(PR_SET_NO_NEW_PRIVS)", errno);

  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (getresuid(&ru, &eu, &su) != 0) throwErrno(env, "getresuid", errno);
  if (getresgid(&rg, &eg, &sg) != 0) throwErrno(env, "getresgid", errno);
  if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) throwPlain(env, "dropPrivileges: ids did not change as asked");
  uint64_t eff = 0, prm = 0, inh = 0;
  if (capget3(eff, prm, inh) != 0) throwErrno(env, "capget", errno);
  if (eff != keep || prm != keep || inh != keep) throwPlain(env, "dropPrivileges: capabilities did not change as asked");
  // The raw syscall tests this thread only and, should it succeed, gets undone by the exit that
  // the caller does on our throw.
  if (syscall(SYS_setresuid, 0, 0, 0) == 0) throwPlain(env, "dropPrivileges: setresuid(0) still succeeds after the drop");
  return env.Undefined();
}

// Lookups return null for "no such entry" and throw for a failing name service.
Napi::Value userObject(Napi::Env env, const passwd& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", p.pw_name);
  o.Set("uid", Napi::Number::New(env, p.pw_uid));
  o.Set("gid", Napi::Number::New(env, p.pw_gid));
  o.Set("home", p.pw_dir ? p.pw_dir : "");
  return o;
}

bool isNumeric(const std::string& s) {
  return !s.empty() && s.size() < 11 && s.find_first_not_of("0123456789") == std::string::npos;
}

// lookupUser(nameOrUid: string) → { name, uid, gid, home } | null
Napi::Value LookupUser(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "lookupUser: expected a string");
  std::string key = info[0].As<Napi::String>().Utf8Value();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* res = nullptr;
  for (;;) {
    int err = isNumeric(key) ? getpwuid_r(static_cast<uid_t>(std::stoul(key)), &pw, buf.data(), buf.size(), &res)
                             : getpwnam_r(key.c_str(), &pw, buf.data(), buf.size(), &res);
    if (err == ERANGE && buf.size() < (1u << 22)) { buf.resize(buf.size() * 4); continue; }
    if (err != 0 && err != ENOENT && err != ESRCH) throwErrno(env, "getpwnam_r(" + key + ")", err);
    break;
  }
  return res ? userObject(env, pw) : env.Null();
}

// lookupGroup(nameOrGid: string) → { name, gid } | null
Napi::Value LookupGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "lookupGroup: expected a string");
  std::string key = info[0].As<Napi::String>().Utf8Value();
  std::vector<char> buf(16384);
  group gr{};
  group* res = nullptr;
  for (;;) {
    int err = isNumeric(key) ? getgrgid_r(static_cast<gid_t>(std::stoul(key)), &gr, buf.data(), buf.size(), &res)
                             : getgrnam_r(key.c_str(), &gr, buf.data(), buf.size(), &res);
    if (err == ERANGE && buf.size() < (1u << 24)) { buf.resize(buf.size() * 4); continue; }
    if (err != 0 && err != ENOENT && err != ESRCH) throwErrno(env, "getgrnam_r(" + key + ")", err);
    break;
  }
  if (!res) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", gr.gr_name);
  o.Set("gid", Napi::Number::New(env, gr.gr_gid));
  return o;
}

// groupList(user: string, gid: number) → number[]: what initgroups(user, gid) would set.
Napi::Value GroupList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "groupList: expected (user, gid)");
  std::string user = info[0].As<Napi::String>().Utf8Value();
  gid_t gid = info[1].As<Napi::Number>().Uint32Value();
  int n = 64;
  std::vector<gid_t> list(n);
  while (getgrouplist(user.c_str(), gid, list.data(), &n) < 0) {
    if (n <= static_cast<int>(list.size())) n = static_cast<int>(list.size()) * 2;  // glibc leaves n alone on some errors
    if (n > 65536) throwPlain(env, "getgrouplist(" + user + "): more than 65536 groups");
    list.resize(n);
  }
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, list[i]));
  return a;
}

}  // namespace

void InitPrivilege(Napi::Env env, Napi::Object exports) {
  exports.Set("dropPrivileges", Napi::Function::New(env, DropPrivileges, "dropPrivileges"));
  exports.Set("execRestricted", Napi::Function::New(env, ExecRestricted, "execRestricted"));
  exports.Set("limitBoundingSet", Napi::Function::New(env, LimitBoundingSet, "limitBoundingSet"));
  exports.Set("limitCapabilities", Napi::Function::New(env, LimitCapabilities, "limitCapabilities"));
  exports.Set("lookupUser", Napi::Function::New(env, LookupUser, "lookupUser"));
  exports.Set("lookupGroup", Napi::Function::New(env, LookupGroup, "lookupGroup"));
  exports.Set("groupList", Napi::Function::New(env, GroupList, "groupList"));
}

}  // namespace mcr
