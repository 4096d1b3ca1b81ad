// The backend's data. Every shape comes from the Rust types (generated.ts, written by
// `make bindings`); a field renamed in Rust fails `npm run check` here, not the person using it.

export type * from './generated';
export { NEW_CHAT_TITLE } from './generated';

/** Chat and message ids. */
export type Id = number;
