import { describe, expect, it } from 'vitest';
import { NEW_CHAT_TITLE } from './api/types';
import { chatTitle, languages, locale, localized, noticeText, t } from './i18n.svelte';

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

describe('catalog sentences', () => {
  it('are shown in the reader\'s language where the catalog has it, else in English', () => {
    const before = locale.language;
    try {
      locale.language = 'zh';
      expect(localized('A tiny model.', { zh: '一个极小的模型。' })).toBe('一个极小的模型。');
      expect(localized('A file of your own.', {})).toBe('A file of your own.');
      locale.language = 'en';
      expect(localized('A tiny model.', { zh: '一个极小的模型。' })).toBe('A tiny model.');
    } finally {
      locale.language = before;
    }
  });
});

describe('chat titles', () => {
  it('show the stored default title in the reader\'s language and any other as it is', () => {
    const before = locale.language;
    try {
      locale.language = 'zh';
      expect(chatTitle({ title: NEW_CHAT_TITLE })).toBe('新对话');
      expect(chatTitle({ title: 'Capital of France' })).toBe('Capital of France');
      locale.language = 'en';
      expect(chatTitle({ title: NEW_CHAT_TITLE })).toBe('New chat');
    } finally {
      locale.language = before;
    }
  });
});

describe('backend notices', () => {
  it('are said in the reader\'s language from what they are about', () => {
    const about = { kind: 'remote_send', provider: 'box', host: 'gpu.lan', model: 'llama-70b', documents: true } as const;
    const before = locale.language;
    try {
      locale.language = 'en';
      // The same sentence the backend writes in English (crates/core/src/notice.rs).
      expect(noticeText(about)).toBe('This chat, with passages from your documents, is sent to box at gpu.lan to be answered by llama-70b.');
      locale.language = 'zh';
      expect(noticeText(about)).toBe('此对话（连同你文档中的段落）将发送到 box（gpu.lan），由 llama-70b 回答。');
      expect(noticeText({ kind: 'attachment_still_reading' })).toMatch(/附加的文件/);
    } finally {
      locale.language = before;
    }
  });
});
