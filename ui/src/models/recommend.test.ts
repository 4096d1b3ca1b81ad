import { describe, expect, it } from 'vitest';
import type { CatalogRow, Fit } from '../lib/api';
import { recommend } from './recommend';

function entry(id: string, ram: number, fit: Fit, tags: string[] = [], kind: 'chat' | 'embedding' = 'chat'): CatalogRow {
  return {
    id, name: id, family: 'f', parameters: '1B', quant: 'Q4_K_M', file: `${id}.gguf`, size: null, size_label: null, architecture: 'llama', url: 'https://x', sha256: null, template: null, system_message: null, draft: null,
    ram, context_length: 4096, license: 'MIT', commercial_use: true, description: '', description_in: {}, tags, fit, installed: false, partial: null,
    kind, query_prefix: '', document_prefix: '',
  };
}

describe('recommend', () => {
  it('never suggests an embedding model for chatting', () => {
    const pick = recommend([
      entry('embedder', 1, 'runs_well', ['recommended'], 'embedding'),
      entry('chat', 2, 'runs_well'),
    ]);
    expect(pick?.id).toBe('chat');
  });

  it('picks the largest recommended model that runs well', () => {
    const pick = recommend([
      entry('tiny', 1, 'runs_well'),
      entry('small-rec', 2, 'runs_well', ['recommended']),
      entry('mid-rec', 4, 'runs_well', ['recommended']),
      entry('big-rec', 8, 'tight', ['recommended']),
    ]);
    expect(pick?.id).toBe('mid-rec');
  });

  it('falls back to the smallest model that fits, never a legacy one', () => {
    const pick = recommend([
      entry('legacy', 1, 'tight', ['legacy']),
      entry('a', 3, 'tight'),
      entry('b', 2, 'tight'),
      entry('huge', 90, 'too_big', ['recommended']),
    ]);
    expect(pick?.id).toBe('b');
  });

  it('says nothing when nothing fits', () => {
    expect(recommend([entry('huge', 90, 'too_big')])).toBeNull();
  });
});
