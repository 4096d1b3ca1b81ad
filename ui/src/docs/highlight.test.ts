import { describe, expect, it } from 'vitest';
import { markTerms, queryTerms } from './highlight';

describe('the question\'s words marked in an excerpt', () => {
  it('takes the words that say something, and pairs of Chinese characters', () => {
    expect(queryTerms('When does the hollyhock bloom in the garden?')).toEqual(['hollyhock', 'bloom', 'garden']);
    expect(queryTerms('如何配置网络')).toEqual(['如何', '何配', '配置', '置网', '网络']);
    expect(queryTerms('Debian的APT源')).toEqual(['debian', '的', 'apt', '源']);
  });

  it('marks every match, whatever its case, and keeps the rest as it is', () => {
    const parts = markTerms('Hollyhocks bloom; the HOLLYHOCK by the shed.', ['hollyhock', 'bloom']);
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['Hollyhock', 'bloom', 'HOLLYHOCK']);
    expect(parts.map((p) => p.text).join('')).toBe('Hollyhocks bloom; the HOLLYHOCK by the shed.');
  });

  it('treats markup and regex characters in a term as text', () => {
    const text = 'call (a+b) now <img src=x onerror=alert(1)>';
    const parts = markTerms(text, ['(a+b)', '<img']);
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['(a+b)', '<img']);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(markTerms('nothing here', [])).toEqual([{ text: 'nothing here', hit: false }]);
  });
});
