-- LocalDocs: the collections a chat answers from (a JSON list of names), and the passages a
-- reply was given (a JSON list of sources), kept with the reply for good: they outlive a
-- rebuild of the index, and travel in exports.
ALTER TABLE chats ADD COLUMN collections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
