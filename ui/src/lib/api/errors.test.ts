import { describe, expect, it } from 'vitest';
import { BackendError, errorKind } from './index';
import { describeError, errorOfKind, locale } from '../i18n.svelte';

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

describe('errors by kind', () => {
  it('reads the kind of an error body, unknown kinds as internal', () => {
    expect(errorKind('model_not_installed')).toBe('model_not_installed');
    expect(errorKind(undefined)).toBe('internal');
    expect(new BackendError('x', 404, 'not_found').kind).toBe('not_found');
  });

  // Regression guard: the Chinese UI showed the backend's English errors.
  it('shows a backend failure in the reader\'s language, with the English words as detail', () => {
    const e = new BackendError('no installed model "gone.gguf"; see the Models screen', 404, 'model_not_installed');
    locale.language = 'zh';
    const zh = describeError(e);
    expect(zh.text).toContain('模型');
    expect(zh.detail).toBe('No installed model "gone.gguf"; see the Models screen');
    locale.language = 'en';
    expect(describeError(e).text).toContain('not installed');
    expect(errorOfKind('engine_stopped', null).text).toContain('engine stopped');
    expect(errorOfKind('no_such_kind', 'raw words').text).toBe('Raw words');
  });
});
