/**
 * `mcrd --user USER[:GROUP]` (or `daemon: { user: "mcrd" }` in the config file): started as root,
 * mcrd prepares what needs root, then switches the whole process to USER keeping only CAP_NET_RAW,
 * as chronyd/ntpd `-u` do. The data-plane workers are forked after the switch and inherit CAP_NET_RAW
 * through the ambient set, so rules added at runtime still get their AF_PACKET sockets.
 *
 *   sudo mcrd --user mcrd --config /etc/mcrd/mcrd.json5
 *   sudo mcrd --user mcrd:operators ...     # GROUP instead of USER's primary group
 *
 * Supplementary groups are initgroups(USER, GROUP)'s: GROUP plus every group listing USER as a member
 * (the same as systemd's User=). The syscalls are in native/engine/addon/privilege.cc. Parsing is
 * tested in privilege.test.ts, the switch itself in relay/e2e/privilege.e2e.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { McrError, describeValue } from '../errors.js';
import { parseListen } from '../metrics/listen.js';
import { loadNative } from '../engine/native.js';
import type { Logger } from './log.js';
import { type Identity, checkReadable, handOver } from './privilege-paths.js';

export type { Identity } from './privilege-paths.js';

export interface UserSpec { user: string; group?: string }

/** The capability the data plane needs (AF_PACKET sockets, SO_BINDTODEVICE); the only one kept. */
export const KEPT_CAPABILITIES = ['net_raw'] as const;

// POSIX-portable user/group names (useradd's default NAME_REGEX plus upper case), or a numeric id.
const NAME = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|\d{1,10})$/;

/** Parse `USER` or `USER:GROUP`; throws McrError (EINVAL) naming `source`. */
export function parseUserSpec(text: string, source = '--user'): UserSpec {
  const parts = text.split(':');
  const bad = (why: string) => new McrError({ code: 'EINVAL', source, detail: `expected USER or USER:GROUP (${why}), got ${describeValue(text)}` });
  if (parts.length > 2) throw bad('one colon at most');
  const [user, group] = parts as [string, string | undefined];
  if (!NAME.test(user)) throw bad(user === '' ? 'USER is empty' : 'USER must be a user name or a numeric uid');
  if (group !== undefined && !NAME.test(group)) throw bad(group === '' ? 'GROUP is empty; leave out the colon for USER\'s own group' : 'GROUP must be a group name or a numeric gid');
  return group === undefined ? { user } : { user, group };
}

export interface Accounts {
  lookupUser(nameOrUid: string): { name: string; uid: number; gid: number } | null;
  lookupGroup(nameOrGid: string): { name: string; gid: number } | null;
  groupList(user: string, gid: number): number[];
}

/** USER[:GROUP] → ids from the name service (passwd/group, NSS). Throws McrError naming `source`. */
export function resolveIdentity(spec: UserSpec, source = '--user', accounts: Accounts = loadNative()): Identity {
  const pw = accounts.lookupUser(spec.user);
  if (!pw) {
    throw new McrError({ code: 'EINVAL', source, detail: `no user ${JSON.stringify(spec.user)} (getent passwd ${spec.user} finds nothing)`, hint: `create it, e.g. useradd --system --no-create-home --shell /usr/sbin/nologin ${spec.user}, or name an existing user` });
  }
  if (pw.uid === 0) {
    throw new McrError({ code: 'EINVAL', source, detail: `user ${JSON.stringify(pw.name)} has uid 0: switching to it drops nothing`, hint: 'name an unprivileged user such as mcrd' });
  }
  let gid = pw.gid;
  if (spec.group !== undefined) {
    const gr = accounts.lookupGroup(spec.group);
    if (!gr) throw new McrError({ code: 'EINVAL', source, detail: `no group ${JSON.stringify(spec.group)} (getent group ${spec.group} finds nothing)`, hint: 'create it with groupadd, or leave out :GROUP to use the user\'s own group' });
    gid = gr.gid;
  }
  const group = accounts.lookupGroup(String(gid))?.name ?? String(gid);
  const groups = [...new Set(accounts.groupList(pw.name, gid))].sort((a, b) => a - b);
  return { user: pw.name, uid: pw.uid, gid, group, groups };
}

export interface DropOptions {
  /** USER[:GROUP] as given, and where it was given (`--user`, `mcrd.json5 daemon.user`). */
  spec: string;
  source: string;
  stateFile: string;
  socketPath: string;
  socketGroup?: string | undefined;
  metricsListen?: string | undefined;
  config?: string | undefined;
  log: Logger;
  accounts?: Accounts;
}

/**
 * As root: hand the state and socket directories to the user, check what the user will need later,
 * then switch. Returns the identity switched to, or null when mcrd already runs as that user (a
 * service manager did the switch: nothing to do). Throws McrError EACCES (not root, a place the
 * user cannot use) or EINVAL (unknown user or group) before anything changed; an error from the
 * switch itself leaves the process half-switched, so the caller must exit.
 */
export async function dropToUser(o: DropOptions): Promise<Identity | null> {
  const id = resolveIdentity(parseUserSpec(o.spec, o.source), o.source, o.accounts);
  const euid = process.geteuid!();
  if (euid !== 0) {
    if (euid === id.uid && process.getegid!() === id.gid) {
      o.log.info('already running as the configured user; nothing to drop', { user: id.user, uid: id.uid });
      return null;
    }
    throw new McrError({ code: 'EACCES', source: o.source, detail: `switching to user ${id.user} needs root, but mcrd runs as uid ${euid}`, hint: `start it as root (sudo mcrd --user ${o.spec} ...), or leave out --user when the service manager sets the user (systemd User=)` });
  }
  await checkMetricsPort(o.metricsListen);
  const socketGid = o.socketGroup === undefined ? undefined : socketGroupId(o.socketGroup, id, o.accounts ?? loadNative());
  await handOver(id, { stateFile: o.stateFile, socketPath: o.socketPath, socketGid, source: o.source });
  if (o.config && !(await checkReadable(o.config, id))) {
    o.log.warn('config file not readable by the user mcrd switches to: SIGHUP/mcrctl reload will fail', { config: o.config, user: id.user, hint: `chgrp ${id.group} ${o.config}; chmod g+r ${o.config}` });
  }
  loadNative().dropPrivileges({ uid: id.uid, gid: id.gid, groups: id.groups, keep: [...KEPT_CAPABILITIES] });
  o.log.info('dropped privileges', { user: id.user, uid: id.uid, group: id.group, gid: id.gid, groups: id.groups.join(','), keep: 'CAP_NET_RAW' });
  return id;
}

/** After the switch the control server gives the socket this group: the user must be in it. */
function socketGroupId(name: string, id: Identity, accounts: Accounts): number {
  const gr = accounts.lookupGroup(name);
  if (!gr) throw new McrError({ code: 'EINVAL', source: '--socket-group', detail: `no group ${JSON.stringify(name)}` });
  if (gr.gid !== id.gid && !id.groups.includes(gr.gid)) {
    throw new McrError({ code: 'EACCES', source: '--socket-group', detail: `user ${id.user} is not a member of group ${gr.name}, so after switching to it mcrd cannot give its control socket that group`, hint: `usermod -aG ${gr.name} ${id.user}, or --user ${id.user}:${gr.name}` });
  }
  return gr.gid;
}

/** A privileged port cannot be bound after the switch (no CAP_NET_BIND_SERVICE is kept). */
async function checkMetricsPort(listen: string | undefined): Promise<void> {
  if (listen === undefined) return;
  const { port } = parseListen(listen);
  const text = await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => '1024');
  const first = Number(text.trim());
  if (port !== 0 && port < first) {
    throw new McrError({ code: 'EACCES', source: '--metrics-listen', detail: `port ${port} is privileged (below net.ipv4.ip_unprivileged_port_start=${first}) and --user keeps no CAP_NET_BIND_SERVICE`, hint: 'use a port of 1024 or above, e.g. 9477' });
  }
}
