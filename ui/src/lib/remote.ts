// Which chats and models go to another machine. A remote model is named `provider:model`
// (provider names cannot hold `:`); a model on this computer is a `.gguf` file or a catalog id.

/** The provider a chat's or reply's model belongs to, or null for a model on this computer. */
export function remoteProvider(model: string | null | undefined): string | null {
  if (!model || model.toLowerCase().endsWith('.gguf')) return null;
  const at = model.indexOf(':');
  return at > 0 ? model.slice(0, at) : null;
}

/** How a reply's model is named under it: the installed model's name where one matches the
 *  file (catalog files start with the catalog id), else the file without `.gguf`. */
export function modelLabel(file: string | null | undefined, models: { id: string; name: string }[]): string {
  if (!file) return '';
  const exact = models.find((m) => m.id === file);
  if (exact) return exact.name;
  const lower = file.toLowerCase();
  const byFile = models
    .filter((m) => !m.id.includes(':') && lower.startsWith(m.id.toLowerCase()))
    .sort((a, b) => b.id.length - a.id.length)[0];
  return byFile?.name ?? file.replace(/\.gguf$/i, '');
}
