// The membership view: which agents are live (their availability is online),
// each with its incarnation. Every agent computes the view number the same way
// from the same retained availability messages, so no agreement protocol is
// needed: two agents are in the same view exactly when they see the same
// members. A reservation is granted only by acknowledgements in its view.

export interface Member {
  microgrid: string;
  incarnation: string;
}

export interface View {
  /** FNV-1a (32 bit) of the sorted `microgrid@incarnation` list. */
  view: number;
  members: string[];
}

export function memberKey(m: Member): string {
  return `${m.microgrid}@${m.incarnation}`;
}

export function viewOf(members: readonly Member[]): View {
  const keys = [...new Set(members.map(memberKey))].sort();
  let h = 0x811c9dc5;
  const text = keys.join(",");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return { view: h >>> 0, members: keys };
}
