import { describe, expect, it } from 'vitest';
import { remoteProvider } from './remote';

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
