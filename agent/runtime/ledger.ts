// The generation this agent has committed: per own switch, the load its
// confirmed close picked up (as the shield counted it), removed when that
// switch is confirmed open again. An open elsewhere that drops more load is
// not credited back: the ledger may over-count, never under-count, what the
// agent serves. Journaled as an event on every change and restored from it.

export class Ledger {
  private readonly byElement = new Map<string, number>();

  constructor(initial?: Readonly<Record<string, number>>) {
    for (const [e, kw] of Object.entries(initial ?? {})) if (Number.isFinite(kw) && kw > 0) this.byElement.set(e, kw);
  }

  committedKw(): number {
    let s = 0;
    for (const kw of this.byElement.values()) s += kw;
    return s;
  }

  /** A close was confirmed: it now serves `pickupKw`. */
  closed(element: string, pickupKw: number): void {
    if (pickupKw > 0) this.byElement.set(element, (this.byElement.get(element) ?? 0) + pickupKw);
  }

  /** An open was confirmed: what this switch's close picked up is no longer served by it. */
  opened(element: string): void {
    this.byElement.delete(element);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.byElement);
  }
}
