-- Whether a chat still waits for the title its first reply gives it: state, not a comparison
-- with the placeholder title (a person may name a chat "New chat" themselves).
ALTER TABLE chats ADD COLUMN auto_title INTEGER NOT NULL DEFAULT 0;

UPDATE chats SET auto_title = 1
WHERE title = 'New chat'
  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = chats.id AND m.role = 'assistant' AND m.status = 'complete');

-- What kind of failure a failed reply met (the app's error kinds), so it can be shown in the
-- reader's language.
ALTER TABLE messages ADD COLUMN error_kind TEXT;
