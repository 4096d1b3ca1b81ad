-- How many of a reply's prompt tokens were not read again: held in the engine's cache from the
-- turn before, or continued from the chat's cache saved on disk.
ALTER TABLE messages ADD COLUMN cached_tokens INTEGER;
-- Tokens guessed from the conversation (prompt lookup) and how many the model agreed with.
ALTER TABLE messages ADD COLUMN drafted_tokens INTEGER;
ALTER TABLE messages ADD COLUMN accepted_tokens INTEGER;
