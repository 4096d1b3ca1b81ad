-- Chats, the message tree, settings, and full-text search over both.
-- Times are Unix milliseconds.

CREATE TABLE chats (
    id            INTEGER PRIMARY KEY,
    title         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    model         TEXT,
    system_prompt TEXT,
    settings      TEXT,                                  -- JSON, per-chat generation settings
    pinned        INTEGER NOT NULL DEFAULT 0,
    archived      INTEGER NOT NULL DEFAULT 0,
    current_leaf  INTEGER                                -- the last message of the shown branch
);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    chat_id           INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    parent_id         INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role              TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('streaming', 'complete', 'interrupted', 'error')),
    error             TEXT,
    model_file        TEXT,
    model_sha256      TEXT,
    sampling          TEXT,                              -- JSON, the settings used
    seed              INTEGER,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    prompt_ms         REAL,
    generation_ms     REAL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE INDEX messages_by_chat ON messages (chat_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX chats_by_update ON chats (archived, pinned DESC, updated_at DESC);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                                  -- JSON
);

-- External-content FTS5 indexes, kept in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'                                     -- search-as-you-type: prefix queries stay fast
);
CREATE VIRTUAL TABLE chats_fts USING fts5 (
    title, content = 'chats', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN
    INSERT INTO chats_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN
    INSERT INTO chats_fts (chats_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER chats_fts_update AFTER UPDATE OF title ON chats BEGIN
    INSERT INTO chats_fts (chats_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO chats_fts (rowid, title) VALUES (new.id, new.title);
END;
