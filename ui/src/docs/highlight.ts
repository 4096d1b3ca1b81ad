// The words of a question marked in a source's excerpt, so a person sees why a passage was
// picked. Parts are plain text (the caller renders them as text, never as HTML).

/** Short words that match everywhere and say nothing about why a passage was found. */
const STOP_WORDS = new Set(
  'the and for was were what when where which who whom why how does did with from that this these those are has have had you your about into its not but can our they them then than there their will would should could been being also just only very more most some any all each'.split(' '),
);

const HAN = /\p{Script=Han}/u;
const WORDS = /\p{Script=Han}+|(?:(?![\p{Script=Han}])[\p{L}\p{N}])+/gu;
/** More terms than this add nothing a reader can follow. */
const MOST_TERMS = 32;

/** The terms of `question` worth marking: words of three letters or more that are not stop
 * words, and for Chinese (written without spaces) each pair of characters. */
export function queryTerms(question: string): string[] {
  const terms = new Set<string>();
  for (const word of question.toLowerCase().match(WORDS) ?? []) {
    if (HAN.test(word)) {
      const chars = [...word];
      if (chars.length === 1) terms.add(word);
      for (let i = 0; i + 1 < chars.length; i++) terms.add(chars[i] + chars[i + 1]);
    } else if ([...word].length >= 3 && !STOP_WORDS.has(word)) {
      terms.add(word);
    }
  }
  return [...terms].slice(0, MOST_TERMS);
}

/** `text` cut into parts, those matching a term marked as hits. */
export function markTerms(text: string, terms: string[]): { text: string; hit: boolean }[] {
  if (terms.length === 0) return [{ text, hit: false }];
  // Longest first, so "orchards" is marked whole rather than as "orchard" + "s".
  const alternatives = [...terms].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(alternatives.join('|'), 'giu');
  const parts: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index ?? 0;
    if (start > at) parts.push({ text: text.slice(at, start), hit: false });
    parts.push({ text: match[0], hit: true });
    at = start + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false });
  return parts;
}
