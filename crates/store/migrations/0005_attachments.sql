-- Files attached to a question (a JSON list): each read whole into the question, or indexed
-- into the chat's own LocalDocs collection when too long for the model's context.
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
