/**
 * MCR's PIM requests (its SupervisorCommand's GetPimNeighbors, EnablePim, DisablePim, SetStaticRp and
 * the external-neighbor ones), answered from mcrd's PIM module (relay/protocols/pim) in MCR's shapes:
 *
 *   → "GetPimNeighbors"
 *   ← {"PimNeighbors":[{"interface":"eth0","address":"10.0.0.2","dr_priority":1,"is_dr":true,
 *      "expires_in_secs":97,"generation_id":3141592653,"source":"PimHello"}]}
 *   → {"EnablePim":{"interface":"eth1","dr_priority":10}}
 *   ← {"Success":"PIM enabled on eth1 (IP: 10.0.1.1, DR priority: 10)"}
 *   → {"SetStaticRp":{"group_prefix":"239.1.0.0/16","rp_address":"10.0.0.9"}}
 *   ← {"Success":"Static RP 10.0.0.9 set for group prefix 239.1.0.0/16"}
 *
 * mcrd learns neighbors from Hellos only, so adding or removing MCR's externally injected neighbors is
 * refused (listing and clearing them answer the truth: there are none), as is SetRpAddress (MSDP
 * origination: mcrd has no MSDP). The same
 * shapes serve `mcrctl --format mcr pim neighbors`. Tested in compat.test.ts and relay/e2e/pim-adjacency.
 */
import type { ControlApi } from '../control/api.js';
import type { ProtocolsApi } from '../control/protocols-api.js';
import { McrError } from '../errors.js';
import { isUsableUnicast, parseIpv4 } from '../model/ipv4.js';
import type { McrResponse } from './shapes.js';
import { success } from './shapes.js';

type Handler = (api: ControlApi, args: Record<string, unknown>) => McrResponse;

/** The pim `neighbors` rows this module reads (relay/protocols/pim/module.ts, times made relative). */
export interface PimNeighborRow { interface: string; address: string; expiresInMs: number | null; drPriority: number | null; genId: number | null; dr: boolean }

/** MCR's PimNeighborInfo per neighbor; a neighbor that sent no DR priority has RFC 7761's default, 1. */
export function pimNeighbors(rows: PimNeighborRow[]): McrResponse {
  return {
    PimNeighbors: rows.map((n) => ({
      interface: n.interface, address: n.address, dr_priority: n.drPriority ?? 1, is_dr: n.dr,
      expires_in_secs: n.expiresInMs === null ? null : Math.ceil(n.expiresInMs / 1000),
      generation_id: n.genId, source: 'PimHello',
    })),
  };
}

function pim(api: ControlApi, request: string): ProtocolsApi {
  if (!api.protocols?.modules().includes('pim')) {
    throw new McrError({ code: 'ENOENT', source: request, detail: 'PIM is not running; enable it with a pim: { enabled: true, interfaces: [{ name: "eth0" }] } section in the config' });
  }
  return api.protocols;
}

function stringArg(a: Record<string, unknown>, key: string, request: string, expected: string): string {
  const v = a[key];
  if (typeof v !== 'string' || v === '') throw new McrError({ code: 'EINVAL', source: request, path: key, detail: `expected ${expected}, got ${JSON.stringify(v) ?? 'nothing (missing)'}` });
  return v;
}

const EXTERNAL = 'mcrd learns PIM neighbors from their Hellos only; injected (external) neighbors are not supported';

/** Why MCR's PIM requests that mcrd refuses are refused, and what to do instead (wire and mcrctl alike). */
export const PIM_REFUSALS = {
  AddExternalNeighbor: `${EXTERNAL}; run PIM on the neighbor's interface (EnablePim or mcrctl pim enable) and it is learned from its Hellos`,
  RemoveExternalNeighbor: `${EXTERNAL}; a neighbor expires when its Hellos stop, and DisablePim drops every neighbor of an interface`,
  SetRpAddress: 'mcrd has no MSDP, so there is no SA origination to enable; to make this router the RP of a range, SetStaticRp (mcrctl pim set-rp) with one of its own addresses',
} as const;

const refuse = (request: keyof typeof PIM_REFUSALS) => (): never => {
  throw new McrError({ code: 'EINVAL', source: request, detail: PIM_REFUSALS[request] });
};

/** MCR's `Cleared N external neighbors from …`: mcrd never has any. */
export const clearedNone = (ifname: string | undefined) => success(`Cleared 0 external neighbors from ${ifname ?? 'all interfaces'}`);

/** A bare group is MCR's single-group range. */
export const groupRange = (prefix: string) => (prefix.includes('/') ? prefix : `${prefix}/32`);

export const PIM_HANDLERS: Record<string, Handler> = {
  GetPimNeighbors: (api) => pimNeighbors(pim(api, 'GetPimNeighbors').view('pim', 'neighbors') as PimNeighborRow[]),
  EnablePim: (api, a) => {
    const p = pim(api, 'EnablePim');
    const ifname = stringArg(a, 'interface', 'EnablePim', 'an interface name');
    const pr = a.dr_priority ?? null;
    if (pr !== null && (!Number.isInteger(pr) || (pr as number) < 0 || (pr as number) > 0xffffffff)) {
      throw new McrError({ code: 'EINVAL', source: 'EnablePim', path: 'dr_priority', detail: `expected an integer 0-4294967295 or null, got ${JSON.stringify(pr)}` });
    }
    p.pimInterface(ifname, { enabled: true, ...(pr === null ? {} : { drPriority: pr as number }) });
    const row = (p.view('pim', 'interfaces') as Array<{ interface: string; address: string | null; drPriority: number }>).find((i) => i.interface === ifname);
    return success(`PIM enabled on ${ifname} (IP: ${row?.address ?? 'none yet'}, DR priority: ${row?.drPriority ?? pr ?? 1})`);
  },
  DisablePim: (api, a) => {
    const ifname = stringArg(a, 'interface', 'DisablePim', 'an interface name');
    pim(api, 'DisablePim').pimInterface(ifname, { enabled: false });
    return success(`PIM disabled on ${ifname}`);
  },
  SetStaticRp: (api, a) => {
    const p = pim(api, 'SetStaticRp');
    const prefix = stringArg(a, 'group_prefix', 'SetStaticRp', 'a group prefix like 239.0.0.0/8 or 239.1.1.1');
    const rp = stringArg(a, 'rp_address', 'SetStaticRp', 'an RP address like 10.0.0.9');
    const n = parseIpv4(rp);
    if (n === undefined || !isUsableUnicast(n)) throw new McrError({ code: 'EINVAL', source: 'SetStaticRp', path: 'rp_address', detail: `expected a unicast RP address like 10.0.0.9, got ${JSON.stringify(rp)}` });
    try {
      p.setRp(groupRange(prefix), rp);
    } catch (err) {
      throw new McrError({ code: 'EINVAL', source: 'SetStaticRp', path: 'group_prefix', detail: (err as McrError).detail ?? (err as Error).message });
    }
    return success(`Static RP ${rp} set for group prefix ${prefix}`);
  },
  ListExternalNeighbors: (api) => {
    pim(api, 'ListExternalNeighbors');
    return { ExternalNeighbors: [] };
  },
  AddExternalNeighbor: refuse('AddExternalNeighbor'),
  RemoveExternalNeighbor: refuse('RemoveExternalNeighbor'),
  ClearExternalNeighbors: (api, a) => {
    pim(api, 'ClearExternalNeighbors');
    return clearedNone(typeof a.interface === 'string' ? a.interface : undefined);
  },
  SetRpAddress: refuse('SetRpAddress'),
};
