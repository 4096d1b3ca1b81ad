// Which model to suggest on first run: the catalog's recommended models that run well here,
// the largest of those (better answers), else the smallest model that fits at all; never an
// embedding model.

import type { CatalogRow } from '../lib/api';

export function recommend(all: CatalogRow[]): CatalogRow | null {
  // Embedding models serve LocalDocs; a first model is one to chat with.
  const models = all.filter((m) => m.kind === 'chat');
  const runsWell = models.filter((m) => m.fit === 'runs_well' && !m.tags.includes('legacy'));
  const recommended = runsWell.filter((m) => m.tags.includes('recommended'));
  if (recommended.length > 0) return recommended.reduce((a, b) => (b.ram > a.ram ? b : a));
  const fits = models.filter((m) => m.fit !== 'too_big' && !m.tags.includes('legacy'));
  if (fits.length > 0) return fits.reduce((a, b) => (b.ram < a.ram ? b : a));
  return null;
}
