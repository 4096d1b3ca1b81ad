import { describe, expect, it } from 'vitest';
import { languages, locale, t } from './i18n.svelte';

describe('i18n', () => {
  it('has every English string in Chinese, translated', () => {
    const en = languages.en as Record<string, string>;
    const zh = languages.zh as Record<string, string>;
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      expect(zh[key], key).not.toBe('');
      expect(zh[key], key).not.toBe(en[key]);
    }
  });

  it('switches language', () => {
    locale.language = 'zh';
    expect(t('send')).toBe('发送');
    locale.language = 'en';
    expect(t('send')).toBe('Send');
  });
});
