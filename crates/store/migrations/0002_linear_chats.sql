-- Most chats are one straight line of messages; such a chat's shown branch is simply all its
-- messages in order, read without walking parent links. `branched` says a chat has siblings
-- somewhere (a regenerated reply, an edited question) and must be walked.
ALTER TABLE chats ADD COLUMN branched INTEGER NOT NULL DEFAULT 0;

UPDATE chats SET branched = 1
WHERE id IN (SELECT chat_id FROM messages GROUP BY chat_id, parent_id HAVING count(*) > 1);
