import { describe, expect, it } from 'vitest';
import { BackendError } from './index';

describe('BackendError', () => {
  it('shows the backend message as a sentence, keeping the rest as written', () => {
    const e = new BackendError("the update's signature does not match Hearth's release key", 0);
    expect(e.message).toBe("The update's signature does not match Hearth's release key");
    expect(e.status).toBe(0);
  });

  it('leaves an empty message empty', () => {
    expect(new BackendError('', 500).message).toBe('');
  });
});
