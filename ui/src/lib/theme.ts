// The colour theme: follow the system, or force light or dark; kept in this browser.

export type Theme = 'system' | 'light' | 'dark';

export function currentTheme(): Theme {
  const saved = localStorage.getItem('hearth-theme');
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

export function applyTheme(theme: Theme) {
  localStorage.setItem('hearth-theme', theme);
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
