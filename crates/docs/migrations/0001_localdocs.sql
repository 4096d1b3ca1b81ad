-- LocalDocs: collections of folders, the files read from them, their chunks with sentence
-- vectors, and keyword search over the chunks. Everything here can be rebuilt from the
-- documents themselves. Times are Unix milliseconds.

CREATE TABLE collections (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    embedding_model TEXT    NOT NULL,                  -- catalog id or file of the model
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path          TEXT    NOT NULL,
    UNIQUE (collection_id, path)
);

CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    mtime_ms      INTEGER NOT NULL,
    sha256        TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('indexed', 'unreadable')),
    reason        TEXT,                                -- why an unreadable file gave nothing
    detail        TEXT,
    chunks        INTEGER NOT NULL DEFAULT 0,
    indexed_at    INTEGER NOT NULL,
    UNIQUE (collection_id, path)
);

CREATE TABLE chunks (
    id         INTEGER PRIMARY KEY,
    file_id    INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    page       INTEGER,
    line_start INTEGER,
    line_end   INTEGER,
    heading    TEXT,
    embedding  BLOB    NOT NULL                        -- little-endian f32, unit length
);

-- A file's passages in order; a passage can never be there twice.
CREATE UNIQUE INDEX chunks_by_file ON chunks (file_id, ordinal);

-- Keyword search: the chunk's words, with Chinese and Japanese runs written as overlapping
-- character pairs (unicode61 cannot split them), kept in step with `chunks` by the indexer.
-- `collection` holds one word, `c<collection id>`: a search of some collections filters by it
-- inside the full-text index (weighted 0 in BM25) instead of joining every match to its file.
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    terms, collection, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- How many passages hold each word: a search leaves out the words most passages hold.
CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab (chunks_fts, 'col');
