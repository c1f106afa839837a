/** HTML escaping for text and attribute values: every string from results.json goes through here. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** ` name="value"` pairs, escaped; undefined values are left out. */
export function attrs(a: Record<string, string | number | undefined> | undefined): string {
  if (!a) return '';
  return Object.entries(a).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${esc(v!)}"`).join('');
}
