import { describe, expect, it } from 'vitest';
import { modelLabel, remoteProvider } from './remote';

describe('remoteProvider', () => {
  it('names the provider of provider:model and nothing for local models', () => {
    expect(remoteProvider('gpu-box:llama-3.3-70b')).toBe('gpu-box');
    expect(remoteProvider('openrouter:meta/llama:free')).toBe('openrouter');
    expect(remoteProvider('SmolLM2-135M-Instruct.Q4_1.gguf')).toBeNull();
    expect(remoteProvider('smollm2-135m-instruct')).toBeNull();
    expect(remoteProvider(null)).toBeNull();
    expect(remoteProvider(':x')).toBeNull();
  });
});

describe('modelLabel', () => {
  const models = [
    { id: 'smollm2-135m-instruct', name: 'SmolLM2 135M Instruct' },
    { id: 'smollm2-135m-instruct-long', name: 'SmolLM2 135M long' },
    { id: 'box:llama-70b', name: 'llama-70b' },
  ];
  it('names a reply by its installed model, the longest catalog id its file starts with', () => {
    expect(modelLabel('SmolLM2-135M-Instruct.Q4_1.gguf', models)).toBe('SmolLM2 135M Instruct');
    expect(modelLabel('smollm2-135m-instruct-long-q8_0.gguf', models)).toBe('SmolLM2 135M long');
    expect(modelLabel('box:llama-70b', models)).toBe('llama-70b');
  });
  it('falls back to the file without .gguf, and nothing for no model', () => {
    expect(modelLabel('Mistral-7B.Q4_K_M.gguf', models)).toBe('Mistral-7B.Q4_K_M');
    expect(modelLabel(null, models)).toBe('');
  });
});
