// Brief confirmations ("Settings saved"): shown a few seconds at the window's corner, read out
// by screen readers, never mixed with errors (those stay in a banner until dismissed).

export interface Toast {
  id: number;
  text: string;
}

export class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  constructor(private readonly lifetimeMs = 4000) {}

  /** Shows `text`; it goes by itself. */
  show(text: string) {
    const id = this.next++;
    // The same confirmation twice in a row is one toast, shown for longer.
    this.items = [...this.items.filter((t) => t.text !== text), { id, text }];
    setTimeout(() => this.dismiss(id), this.lifetimeMs);
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

/** The window's toasts. */
export const toasts = new Toasts();
