// Which chats and models go to another machine. A remote model is named `provider:model`
// (provider names cannot hold `:`); a model on this computer is a `.gguf` file or a catalog id.

/** The provider a chat's or reply's model belongs to, or null for a model on this computer. */
export function remoteProvider(model: string | null | undefined): string | null {
  if (!model || model.toLowerCase().endsWith('.gguf')) return null;
  const at = model.indexOf(':');
  return at > 0 ? model.slice(0, at) : null;
}
