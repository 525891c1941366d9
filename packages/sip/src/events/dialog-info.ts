import { EventBodyError, MAX_EVENT_BODY } from './event-body-error.js';

/**
 * The `dialog` event package (RFC 4235): its body `application/dialog-info+xml` (§4), built and read.
 *
 * The reader is a small tolerant scanner of the XML subset RFC 4235 documents use (elements, attributes,
 * text, entities; namespace prefixes ignored, comments / processing instructions / CDATA skipped, unknown
 * elements and attributes ignored), bounded in size, depth and element count. No XML library: the documents
 * are small and flat, the fields read are a handful, and a general parser (with DTDs and entity expansion)
 * would be more attack surface than this needs.
 */

/** The Content-Type of a dialog information document (RFC 4235 §4). */
export const DIALOG_INFO_TYPE = 'application/dialog-info+xml';

/** Dialog states of RFC 4235 §3.7.1 (the FSM of its Figure 3). */
export type DialogInfoStateName = 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';

/** A participant (`<local>` / `<remote>`, RFC 4235 §4.1.6). */
export interface DialogParticipant {
  /** `<identity>` URI. */
  identity?: string;
  /** `display` attribute of `<identity>`. */
  display?: string;
  /** `<target uri=…>`. */
  target?: string;
}

/** One `<dialog>` element (RFC 4235 §4.1). */
export interface DialogInfoDialog {
  /** `id` attribute (required). */
  id: string;
  /** `call-id`, `local-tag`, `remote-tag` (all three or none, §4.1.1). */
  callId?: string;
  localTag?: string;
  remoteTag?: string;
  /** `direction`: `initiator` (we sent the INVITE) or `recipient`. */
  direction?: 'initiator' | 'recipient';
  /** `<state>` (required). */
  state: DialogInfoStateName;
  /** `event` attribute of `<state>` (cancelled, rejected, replaced, local-bye, remote-bye, error, timeout). */
  event?: string;
  /** `code` attribute of `<state>` (the response code). */
  code?: number;
  /** `<duration>` in seconds. */
  duration?: number;
  local?: DialogParticipant;
  remote?: DialogParticipant;
}

/** A dialog information document (RFC 4235 §4.1). */
export interface DialogInfo {
  /** `version` (incremented by one per NOTIFY, §4.1). */
  version: number;
  /** `state`: `full` (every dialog) or `partial` (the changes). */
  state: 'full' | 'partial';
  /** `entity`: the URI whose dialogs these are. */
  entity: string;
  dialogs: DialogInfoDialog[];
}

const STATES = new Set(['trying', 'proceeding', 'early', 'confirmed', 'terminated']);

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function participant(tag: 'local' | 'remote', p: DialogParticipant | undefined): string {
  if (!p) return '';
  let x = `<${tag}>`;
  if (p.identity !== undefined)
    x += `<identity${p.display !== undefined ? ` display="${esc(p.display)}"` : ''}>${esc(p.identity)}</identity>`;
  if (p.target !== undefined) x += `<target uri="${esc(p.target)}"/>`;
  return `${x}</${tag}>`;
}

/** Builds an `application/dialog-info+xml` document (RFC 4235 §4). */
export function buildDialogInfo(info: DialogInfo): string {
  if (!Number.isInteger(info.version) || info.version < 0) throw new RangeError(`version ${info.version}`);
  let x = '<?xml version="1.0" encoding="UTF-8"?>\r\n';
  x += `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${info.version}" state="${info.state}" entity="${esc(info.entity)}">\r\n`;
  for (const d of info.dialogs) {
    if (!STATES.has(d.state)) throw new RangeError(`dialog state ${d.state}`);
    x += `<dialog id="${esc(d.id)}"`;
    if (d.callId !== undefined) x += ` call-id="${esc(d.callId)}"`;
    if (d.localTag !== undefined) x += ` local-tag="${esc(d.localTag)}"`;
    if (d.remoteTag !== undefined) x += ` remote-tag="${esc(d.remoteTag)}"`;
    if (d.direction !== undefined) x += ` direction="${d.direction}"`;
    x += '>';
    x += `<state${d.event !== undefined ? ` event="${esc(d.event)}"` : ''}${d.code !== undefined ? ` code="${d.code}"` : ''}>${d.state}</state>`;
    if (d.duration !== undefined) x += `<duration>${Math.max(0, Math.floor(d.duration))}</duration>`;
    x += participant('local', d.local);
    x += participant('remote', d.remote);
    x += '</dialog>\r\n';
  }
  return `${x}</dialog-info>\r\n`;
}

// ------------------------------------------------------------------------------------------ tolerant reader

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const MAX_ELEMENTS = 10_000;
const MAX_DEPTH = 32;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return n <= 0x10ffff ? String.fromCodePoint(n) : '';
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e as 'amp']!;
  });
}

/** Local name of a possibly prefixed XML name (`d:dialog` → `dialog`). */
function local(name: string): string {
  const i = name.indexOf(':');
  return (i < 0 ? name : name.slice(i + 1)).toLowerCase();
}

function scan(xml: string): El | EventBodyError {
  // comments, processing instructions, doctype and CDATA carry nothing RFC 4235 reads
  const text = xml.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<![^>]*>/g, '');
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const attr = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  let last = 0;
  let count = 0;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    const top = stack[stack.length - 1]!;
    if (top.text.length < 4096) top.text += text.slice(last, m.index);
    last = tag.lastIndex;
    const name = local(m[2]!);
    if (m[1]) {
      // a closing tag: pop to the matching element (tolerant of unclosed children)
      const i = stack.map((e) => e.name).lastIndexOf(name);
      if (i > 0) stack.length = i;
      continue;
    }
    if (++count > MAX_ELEMENTS) return new EventBodyError('dialog', 'too many elements');
    const el: El = { name, attrs: {}, children: [], text: '' };
    for (let a = attr.exec(m[3]!); a; a = attr.exec(m[3]!)) el.attrs[local(a[1]!)] = decodeEntities(a[2] ?? a[3] ?? '');
    attr.lastIndex = 0;
    top.children.push(el);
    if (!m[4]) {
      if (stack.length > MAX_DEPTH) return new EventBodyError('dialog', 'nested too deeply');
      stack.push(el);
    }
  }
  const di = root.children.find((e) => e.name === 'dialog-info');
  return di ?? new EventBodyError('dialog', 'no <dialog-info> element');
}

const child = (e: El, name: string) => e.children.find((c) => c.name === name);
const textOf = (e: El | undefined) => (e ? decodeEntities(e.text).trim() : undefined);

function readParticipant(e: El | undefined): DialogParticipant | undefined {
  if (!e) return undefined;
  const p: DialogParticipant = {};
  const id = child(e, 'identity');
  const identity = textOf(id);
  if (identity) p.identity = identity;
  if (id?.attrs.display !== undefined) p.display = id.attrs.display;
  const t = child(e, 'target')?.attrs.uri;
  if (t !== undefined) p.target = t;
  return p;
}

/**
 * Reads an `application/dialog-info+xml` document (RFC 4235 §4) tolerantly: `version`, `state`, `entity`,
 * and per `<dialog>` its id, call-id/tags, direction, state (with event and code), duration and the
 * participants. A `<dialog>` without id or with an unknown state is skipped. Returns an
 * {@link EventBodyError} (never throws) when there is no `<dialog-info>` with a version and entity.
 */
export function tryParseDialogInfo(xml: string): DialogInfo | EventBodyError {
  if (xml.length > MAX_EVENT_BODY) return new EventBodyError('dialog', 'body too large');
  const root = scan(xml);
  if (root instanceof EventBodyError) return root;
  const version = Number(root.attrs.version);
  if (root.attrs.version === undefined || !/^\d{1,10}$/.test(root.attrs.version.trim()))
    return new EventBodyError('dialog', 'no version');
  const entity = root.attrs.entity;
  if (!entity) return new EventBodyError('dialog', 'no entity');
  const state = root.attrs.state?.trim().toLowerCase() === 'partial' ? 'partial' : 'full';
  const dialogs: DialogInfoDialog[] = [];
  for (const d of root.children) {
    if (d.name !== 'dialog' || !d.attrs.id) continue;
    const st = child(d, 'state');
    const s = textOf(st)?.toLowerCase();
    if (!s || !STATES.has(s)) continue;
    const out: DialogInfoDialog = { id: d.attrs.id, state: s as DialogInfoStateName };
    if (d.attrs['call-id'] !== undefined) out.callId = d.attrs['call-id'];
    if (d.attrs['local-tag'] !== undefined) out.localTag = d.attrs['local-tag'];
    if (d.attrs['remote-tag'] !== undefined) out.remoteTag = d.attrs['remote-tag'];
    const dir = d.attrs.direction?.trim().toLowerCase();
    if (dir === 'initiator' || dir === 'recipient') out.direction = dir;
    if (st?.attrs.event !== undefined) out.event = st.attrs.event;
    if (st?.attrs.code !== undefined && /^\d{3}$/.test(st.attrs.code.trim())) out.code = Number(st.attrs.code);
    const dur = textOf(child(d, 'duration'));
    if (dur !== undefined && /^\d{1,10}$/.test(dur)) out.duration = Number(dur);
    const l = readParticipant(child(d, 'local'));
    if (l) out.local = l;
    const r = readParticipant(child(d, 'remote'));
    if (r) out.remote = r;
    dialogs.push(out);
  }
  return { version, state, entity, dialogs };
}

/** Reads a dialog information document (RFC 4235 §4); throws {@link EventBodyError} when it is not one. */
export function parseDialogInfo(xml: string): DialogInfo {
  const r = tryParseDialogInfo(xml);
  if (r instanceof EventBodyError) throw r;
  return r;
}
