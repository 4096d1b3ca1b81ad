// Generated from the Rust types by hearth-core's `contract` module (ts-rs).
// Do not edit: run `make bindings` after changing a type the UI uses.

export type ErrorKind = "invalid" | "not_found" | "model_not_installed" | "unknown_model" | "bad_model_file" | "model_load_failed" | "context_full" | "template" | "engine_stopped" | "engine_missing" | "download" | "disk_full" | "storage" | "file" | "conflict" | "busy" | "unauthorized" | "forbidden" | "unavailable" | "update" | "remote" | "internal";

export type ErrorReport = { 
/**
 * What kind of failure.
 */
kind: ErrorKind, 
/**
 * What happened and what to do, in English.
 */
message: string, };

export type Role = "system" | "user" | "assistant";

export type MessageStatus = "streaming" | "complete" | "interrupted" | "error";

export type Source = { 
/**
 * The LocalDocs collection it came from.
 */
collection: string, 
/**
 * The file.
 */
path: string, 
/**
 * Its page (PDF).
 */
page: number | null, 
/**
 * Its first line (text formats).
 */
line_start: number | null, 
/**
 * Its last line.
 */
line_end: number | null, 
/**
 * The headings above it.
 */
heading: string | null, 
/**
 * The text the model was given.
 */
excerpt: string, 
/**
 * How well it matched the question (higher is better; the search's fused score).
 */
score: number, 
/**
 * Its cosine with the question, when vectors were used.
 */
similarity: number | null, };

export type Attachment = { 
/**
 * The file's name.
 */
name: string, 
/**
 * Where it was on the person's computer when attached.
 */
path: string, 
/**
 * Characters of text read from it.
 */
chars: number, 
/**
 * Its text, when it went into the question whole.
 */
text: string | null, 
/**
 * The chat's collection it was indexed into, when too long to go in whole (the reply
 * is given its passages that match the question).
 */
collection: string | null, };

export type Message = { 
/**
 * Id.
 */
id: number, 
/**
 * The chat it belongs to.
 */
chat_id: number, 
/**
 * The message it answers or follows; `None` for the first.
 */
parent_id: number | null, 
/**
 * Who wrote it.
 */
role: Role, 
/**
 * Its text.
 */
content: string, 
/**
 * Where it is in its life.
 */
status: MessageStatus, 
/**
 * Why generation failed, for `Error`.
 */
error: string | null, 
/**
 * The model file that wrote it (replies).
 */
model_file: string | null, 
/**
 * That file's SHA-256.
 */
model_sha256: string | null, 
/**
 * The sampling settings used (JSON).
 */
sampling: string | null, 
/**
 * The seed used.
 */
seed: number | null, 
/**
 * Prompt tokens.
 */
prompt_tokens: number | null, 
/**
 * Generated tokens.
 */
completion_tokens: number | null, 
/**
 * Prompt evaluation time.
 */
prompt_ms: number | null, 
/**
 * Generation time.
 */
generation_ms: number | null, 
/**
 * When it was written (Unix ms).
 */
created_at: number, 
/**
 * When it last changed (Unix ms).
 */
updated_at: number, 
/**
 * What kind of failure an `Error` reply met (the app's error kind, `snake_case`).
 */
error_kind: string | null, 
/**
 * The passages of a person's documents the reply was given (LocalDocs), best first.
 */
sources: Array<Source>, 
/**
 * Files attached to the question.
 */
attachments: Array<Attachment>, 
/**
 * Of the prompt tokens, those not read again (the engine's cache, or the chat's cache
 * saved on disk).
 */
cached_tokens: number | null, 
/**
 * Tokens guessed from the conversation (prompt lookup) and checked by the model.
 */
drafted_tokens: number | null, 
/**
 * Of those, the ones the model picked too.
 */
accepted_tokens: number | null, };

export type Chat = { 
/**
 * Id.
 */
id: number, 
/**
 * Title shown in the sidebar.
 */
title: string, 
/**
 * When it was created (Unix ms).
 */
created_at: number, 
/**
 * When it last changed (Unix ms).
 */
updated_at: number, 
/**
 * The model it used last (file name).
 */
model: string | null, 
/**
 * Its system prompt, if it has its own.
 */
system_prompt: string | null, 
/**
 * Its own generation settings (JSON), if any.
 */
settings: string | null, 
/**
 * Pinned to the top of the sidebar.
 */
pinned: boolean, 
/**
 * Hidden from the sidebar.
 */
archived: boolean, 
/**
 * The last message of the branch it shows.
 */
current_leaf: number | null, 
/**
 * Still waiting for the title its first reply gives it (a placeholder is shown).
 */
auto_title: boolean, 
/**
 * The LocalDocs collections its replies answer from, by name.
 */
collections: Array<string>, };

export type SnippetPart = { 
/**
 * The text (plain, never markup).
 */
text: string, 
/**
 * Whether it matched the query.
 */
highlight: boolean, };

export type SearchHit = { 
/**
 * The chat.
 */
chat_id: number, 
/**
 * Its title.
 */
chat_title: string, 
/**
 * The message that matched; `None` when the title did.
 */
message_id: number | null, 
/**
 * The matching passage, with matches marked.
 */
snippet: Array<SnippetPart>, };

export type SamplingParams = { 
/**
 * Randomness; 0 picks the most likely token every time (greedy).
 */
temperature: number, 
/**
 * Keep only the k most likely tokens; 0 keeps all.
 */
top_k: number, 
/**
 * Keep the most likely tokens whose probabilities add up to p; 1 keeps all.
 */
top_p: number, 
/**
 * Drop tokens less likely than min_p × the most likely one; 0 keeps all.
 */
min_p: number, 
/**
 * Penalty for repeating recent tokens; 1 is none.
 */
repeat_penalty: number, 
/**
 * How many recent tokens the repeat penalty looks at.
 */
repeat_last_n: number, 
/**
 * OpenAI-style penalty per occurrence of a token.
 */
frequency_penalty: number, 
/**
 * OpenAI-style penalty for a token that occurred at all.
 */
presence_penalty: number, 
/**
 * Seed for the random choice; `None` picks one.
 */
seed: number | null, 
/**
 * Most tokens to generate.
 */
max_tokens: number, 
/**
 * Strings that end the reply; they are not part of it.
 */
stop: Array<string>, 
/**
 * Never end the turn by the model's choice; only `max_tokens`, a stop string or a cancel
 * end it (benchmarks use this to generate an exact number of tokens).
 */
ignore_eos: boolean, 
/**
 * Guess the next tokens from the conversation itself (prompt lookup) and check the guess
 * in one decode: faster where a reply repeats its context, the same reply either way.
 */
prompt_lookup: boolean, 
/**
 * Let the draft model loaded beside this one (if any) guess the next tokens, checked the
 * same way: the same reply either way, faster where the small model guesses well.
 */
draft_model: boolean, };

export type NamedTemplate = "chatml" | "alpaca" | "vicuna" | "dolly" | "openchatkit" | "rwkv-world" | "completion";

export type GenerationSettings = { 
/**
 * Context length in tokens.
 */
context: number, 
/**
 * Threads; `None` means one per physical core.
 */
threads: number | null, 
/**
 * A prompt format to use instead of the model's own (for a model whose own template is
 * missing or cannot be used); `None` uses the model's.
 */
prompt_format: NamedTemplate | null, 
/**
 * True when these are one model's own settings rather than everyone's.
 */
overridden: boolean, 
/**
 * Randomness; 0 picks the most likely token every time (greedy).
 */
temperature: number, 
/**
 * Keep only the k most likely tokens; 0 keeps all.
 */
top_k: number, 
/**
 * Keep the most likely tokens whose probabilities add up to p; 1 keeps all.
 */
top_p: number, 
/**
 * Drop tokens less likely than min_p × the most likely one; 0 keeps all.
 */
min_p: number, 
/**
 * Penalty for repeating recent tokens; 1 is none.
 */
repeat_penalty: number, 
/**
 * How many recent tokens the repeat penalty looks at.
 */
repeat_last_n: number, 
/**
 * OpenAI-style penalty per occurrence of a token.
 */
frequency_penalty: number, 
/**
 * OpenAI-style penalty for a token that occurred at all.
 */
presence_penalty: number, 
/**
 * Seed for the random choice; `None` picks one.
 */
seed: number | null, 
/**
 * Most tokens to generate.
 */
max_tokens: number, 
/**
 * Strings that end the reply; they are not part of it.
 */
stop: Array<string>, 
/**
 * Never end the turn by the model's choice; only `max_tokens`, a stop string or a cancel
 * end it (benchmarks use this to generate an exact number of tokens).
 */
ignore_eos: boolean, 
/**
 * Guess the next tokens from the conversation itself (prompt lookup) and check the guess
 * in one decode: faster where a reply repeats its context, the same reply either way.
 */
prompt_lookup: boolean, 
/**
 * Let the draft model loaded beside this one (if any) guess the next tokens, checked the
 * same way: the same reply either way, faster where the small model guesses well.
 */
draft_model: boolean, };

export type ModelChoice = { 
/**
 * Catalog id, else file name.
 */
id: string, 
/**
 * Name for people.
 */
name: string, 
/**
 * Quantisation.
 */
quant: string | null, 
/**
 * Bytes.
 */
size: number, 
/**
 * The remote provider that serves it; `None` for a model on this computer.
 */
remote: string | null, 
/**
 * Whether the engine holds it in memory now: a reply starts without loading it.
 */
loaded: boolean, };

export type ModelChoices = { 
/**
 * Installed, runnable models.
 */
models: Array<ModelChoice>, 
/**
 * The default: the chosen one, else the only one installed.
 */
default: string | null, };

export type ShownMessage = { 
/**
 * Ids of this message and its siblings, oldest first.
 */
versions: Array<number>, 
/**
 * Id.
 */
id: number, 
/**
 * The chat it belongs to.
 */
chat_id: number, 
/**
 * The message it answers or follows; `None` for the first.
 */
parent_id: number | null, 
/**
 * Who wrote it.
 */
role: Role, 
/**
 * Its text.
 */
content: string, 
/**
 * Where it is in its life.
 */
status: MessageStatus, 
/**
 * Why generation failed, for `Error`.
 */
error: string | null, 
/**
 * The model file that wrote it (replies).
 */
model_file: string | null, 
/**
 * That file's SHA-256.
 */
model_sha256: string | null, 
/**
 * The sampling settings used (JSON).
 */
sampling: string | null, 
/**
 * The seed used.
 */
seed: number | null, 
/**
 * Prompt tokens.
 */
prompt_tokens: number | null, 
/**
 * Generated tokens.
 */
completion_tokens: number | null, 
/**
 * Prompt evaluation time.
 */
prompt_ms: number | null, 
/**
 * Generation time.
 */
generation_ms: number | null, 
/**
 * When it was written (Unix ms).
 */
created_at: number, 
/**
 * When it last changed (Unix ms).
 */
updated_at: number, 
/**
 * What kind of failure an `Error` reply met (the app's error kind, `snake_case`).
 */
error_kind: string | null, 
/**
 * The passages of a person's documents the reply was given (LocalDocs), best first.
 */
sources: Array<Source>, 
/**
 * Files attached to the question.
 */
attachments: Array<Attachment>, 
/**
 * Of the prompt tokens, those not read again (the engine's cache, or the chat's cache
 * saved on disk).
 */
cached_tokens: number | null, 
/**
 * Tokens guessed from the conversation (prompt lookup) and checked by the model.
 */
drafted_tokens: number | null, 
/**
 * Of those, the ones the model picked too.
 */
accepted_tokens: number | null, };

export type ChatView = { 
/**
 * The chat.
 */
chat: Chat, 
/**
 * The shown branch, oldest first.
 */
messages: Array<ShownMessage>, };

export type Started = { 
/**
 * The chat.
 */
chat_id: number, 
/**
 * The reply.
 */
message_id: number, };

export type ChatPatch = { 
/**
 * New title.
 */
title?: string, 
/**
 * Pin or unpin.
 */
pinned?: boolean, 
/**
 * The LocalDocs collections its replies answer from (new chats start with them too).
 */
collections?: Array<string>, };

export type AppSettings = { 
/**
 * The system prompt new chats start with.
 */
system_prompt: string, 
/**
 * Whether the desktop app looks for a newer version when it starts.
 */
check_updates: boolean, 
/**
 * The data folder.
 */
data_dir: string, 
/**
 * Hearth's version.
 */
version: string, 
/**
 * The llama.cpp the engine is built from.
 */
llama_cpp: string, 
/**
 * This computer's memory.
 */
machine: Machine | null, 
/**
 * Where models are kept and the room they take.
 */
models_folder: ModelsFolder, };

export type ModelsFolder = { 
/**
 * The folder.
 */
path: string, 
/**
 * How many model files it holds.
 */
models: number, 
/**
 * Bytes those files take.
 */
used: number, 
/**
 * Free bytes on its disk, where the system says.
 */
free: number | null, };

export type Machine = { 
/**
 * Installed RAM.
 */
total_ram: number, 
/**
 * RAM free for a new program right now.
 */
available_ram: number, };

export type Fit = "runs_well" | "tight" | "too_big";

export type CatalogEntry = { 
/**
 * Stable id used on the command line and in settings (`qwen3-1.7b`).
 */
id: string, 
/**
 * Name shown to people.
 */
name: string, 
/**
 * Model family (`Qwen3`, `Dolly 2`).
 */
family: string, 
/**
 * llama.cpp architecture name (`general.architecture`).
 */
architecture: string, 
/**
 * Parameter count as people say it (`1.7B`).
 */
parameters: string, 
/**
 * Quantisation (`Q4_K_M`).
 */
quant: string, 
/**
 * File name inside `models/`.
 */
file: string, 
/**
 * Where to download it (https).
 */
url: string, 
/**
 * Exact size in bytes, where known.
 */
size: number | null, 
/**
 * Approximate size for display when the exact size is not known.
 */
size_label: string | null, 
/**
 * SHA-256 of the file, lowercase hex; every entry has one (the file is checked against it).
 */
sha256: string | null, 
/**
 * Memory needed to chat with a 2048-token context, in bytes.
 */
ram: number, 
/**
 * Longest context the model was trained for.
 */
context_length: number, 
/**
 * Licence name.
 */
license: string, 
/**
 * Whether the licence allows commercial use.
 */
commercial_use: boolean, 
/**
 * Prompt format to use instead of the model's own; `None` uses the template in the GGUF.
 */
template: CatalogTemplate | null, 
/**
 * Default system message.
 */
system_message: string | null, 
/**
 * One or two sentences for the model list.
 */
description: string, 
/**
 * The description in the UI's other languages, by language code (`zh`).
 */
description_in: { [key in string]: string }, 
/**
 * Free-form tags (`small`, `reasoning`, `legacy`).
 */
tags: Array<string>, 
/**
 * What the model is for: chatting, or sentence vectors for LocalDocs.
 */
kind: ModelKind, 
/**
 * For embedding models: what goes before a question (`search_query: `, `query: `).
 */
query_prefix: string, 
/**
 * For embedding models: what goes before a passage of a document (`search_document: `).
 */
document_prefix: string, 
/**
 * The catalog id of a smaller model of the same family and vocabulary that drafts for
 * this one (speculative decoding) once it is downloaded too.
 */
draft: string | null, };

export type CatalogTemplate = { "name": string } | { "jinja": string };

export type Runs = "yes" | "partly" | "no";

export type GuideEntry = { 
/**
 * Family name (`GPT4All-J`).
 */
family: string, 
/**
 * Whether it runs.
 */
runs: Runs, 
/**
 * Why, in a sentence a person understands.
 */
why: string, 
/**
 * `why` in the UI's other languages, by language code (`zh`).
 */
why_in: { [key in string]: string }, 
/**
 * Licence name.
 */
license: string, 
/**
 * Whether commercial use is allowed.
 */
commercial_use: boolean, 
/**
 * Memory it needs, in bytes.
 */
ram: number, 
/**
 * Catalog id of the GGUF to download, where one exists.
 */
model: string | null, 
/**
 * Catalog id of the modern model to choose instead.
 */
instead: string, };

export type ModelKind = "chat" | "embedding";

export type CatalogRow = { 
/**
 * How it would run on this computer.
 */
fit: Fit | null, 
/**
 * Whether it is installed (its recorded checksum is the catalog's).
 */
installed: boolean, 
/**
 * Bytes of a paused download, if any.
 */
partial: number | null, 
/**
 * Stable id used on the command line and in settings (`qwen3-1.7b`).
 */
id: string, 
/**
 * Name shown to people.
 */
name: string, 
/**
 * Model family (`Qwen3`, `Dolly 2`).
 */
family: string, 
/**
 * llama.cpp architecture name (`general.architecture`).
 */
architecture: string, 
/**
 * Parameter count as people say it (`1.7B`).
 */
parameters: string, 
/**
 * Quantisation (`Q4_K_M`).
 */
quant: string, 
/**
 * File name inside `models/`.
 */
file: string, 
/**
 * Where to download it (https).
 */
url: string, 
/**
 * Exact size in bytes, where known.
 */
size: number | null, 
/**
 * Approximate size for display when the exact size is not known.
 */
size_label: string | null, 
/**
 * SHA-256 of the file, lowercase hex; every entry has one (the file is checked against it).
 */
sha256: string | null, 
/**
 * Memory needed to chat with a 2048-token context, in bytes.
 */
ram: number, 
/**
 * Longest context the model was trained for.
 */
context_length: number, 
/**
 * Licence name.
 */
license: string, 
/**
 * Whether the licence allows commercial use.
 */
commercial_use: boolean, 
/**
 * Prompt format to use instead of the model's own; `None` uses the template in the GGUF.
 */
template: CatalogTemplate | null, 
/**
 * Default system message.
 */
system_message: string | null, 
/**
 * One or two sentences for the model list.
 */
description: string, 
/**
 * The description in the UI's other languages, by language code (`zh`).
 */
description_in: { [key in string]: string }, 
/**
 * Free-form tags (`small`, `reasoning`, `legacy`).
 */
tags: Array<string>, 
/**
 * What the model is for: chatting, or sentence vectors for LocalDocs.
 */
kind: ModelKind, 
/**
 * For embedding models: what goes before a question (`search_query: `, `query: `).
 */
query_prefix: string, 
/**
 * For embedding models: what goes before a passage of a document (`search_document: `).
 */
document_prefix: string, 
/**
 * The catalog id of a smaller model of the same family and vocabulary that drafts for
 * this one (speculative decoding) once it is downloaded too.
 */
draft: string | null, };

export type CatalogView = { 
/**
 * This computer's memory.
 */
machine: Machine | null, 
/**
 * Downloadable models.
 */
models: Array<CatalogRow>, 
/**
 * The model guide.
 */
guide: Array<GuideEntry>, };

export type ModelFacts = { 
/**
 * `general.architecture` (`llama`, `qwen3`, `t5`).
 */
architecture: string, 
/**
 * Whether the pinned llama.cpp can run this architecture.
 */
runnable: boolean, 
/**
 * Whether it is an embedding model (sentence vectors for LocalDocs; it writes no replies).
 */
for_embeddings: boolean, 
/**
 * `general.name`, when the file has one.
 */
name: string | null, 
/**
 * Total number of weights.
 */
parameters: number, 
/**
 * The file type (`Q4_K_M`), from `general.file_type` or else the commonest tensor type.
 */
quant: string | null, 
/**
 * Context length the model was trained for.
 */
context_length: number | null, 
/**
 * Number of transformer blocks.
 */
layers: number | null, 
/**
 * Width of the embedding.
 */
embedding: number | null, 
/**
 * Attention heads, and key/value heads (fewer with grouped-query attention).
 */
heads: number | null, 
/**
 * Key/value heads.
 */
kv_heads: number | null, 
/**
 * The chat template the file carries.
 */
chat_template: string | null, 
/**
 * Size of the file in bytes.
 */
file_size: number, 
/**
 * GGUF format version.
 */
gguf_version: number, };

export type InstalledModel = { 
/**
 * File name inside `models/`.
 */
file: string, 
/**
 * Full path.
 */
path: string, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * The catalog model it is, known by its recorded SHA-256 (never by its name).
 */
catalog_id: string | null, 
/**
 * What its header says; `None` when the header could not be read.
 */
facts: ModelFacts | null, 
/**
 * Why the header could not be read.
 */
problem: string | null, 
/**
 * The SHA-256 recorded at install time.
 */
sha256: string | null, };

export type InstalledRow = { 
/**
 * The id to use: catalog id, else file name.
 */
id: string, 
/**
 * Memory needed with a 2048-token context.
 */
ram: number | null, 
/**
 * Licence, when it is a catalog model.
 */
license: string | null, 
/**
 * File name inside `models/`.
 */
file: string, 
/**
 * Full path.
 */
path: string, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * The catalog model it is, known by its recorded SHA-256 (never by its name).
 */
catalog_id: string | null, 
/**
 * What its header says; `None` when the header could not be read.
 */
facts: ModelFacts | null, 
/**
 * Why the header could not be read.
 */
problem: string | null, 
/**
 * The SHA-256 recorded at install time.
 */
sha256: string | null, };

export type VerifyResult = { 
/**
 * The checksum now.
 */
sha256: string, 
/**
 * What it should be, when known.
 */
expected: string | null, 
/**
 * Whether they match; `None` when nothing says what it should be.
 */
matches: boolean | null, };

export type ImportedAs = "hard_link" | "copy";

export type ImportResult = { 
/**
 * The installed file.
 */
model: InstalledModel, 
/**
 * Linked or copied.
 */
imported_as: ImportedAs, 
/**
 * Memory needed with a 2048-token context.
 */
ram: number | null, };

export type UpdateInfo = { 
/**
 * The new version.
 */
version: string, 
/**
 * This version.
 */
current: string, 
/**
 * Release notes.
 */
notes: string | null, };

export type CoreEvent = { "type": "message_added", 
/**
 * Chat.
 */
chat_id: number, 
/**
 * Message.
 */
message_id: number, } | { "type": "model_loading", 
/**
 * Chat.
 */
chat_id: number, 
/**
 * Reply.
 */
message_id: number, 
/**
 * The model file.
 */
model: string, } | { "type": "model_load_progress", 
/**
 * The model file.
 */
model: string, 
/**
 * Done so far, from 0.0 to 1.0.
 */
progress: number, } | { "type": "token", 
/**
 * Chat.
 */
chat_id: number, 
/**
 * Reply.
 */
message_id: number, 
/**
 * The new text.
 */
text: string, } | { "type": "sources_found", 
/**
 * Chat.
 */
chat_id: number, 
/**
 * Reply.
 */
message_id: number, 
/**
 * The passages, best first.
 */
sources: Array<Source>, } | { "type": "reply_finished", 
/**
 * Chat.
 */
chat_id: number, 
/**
 * Reply.
 */
message_id: number, 
/**
 * How it ended.
 */
status: MessageStatus, 
/**
 * Why it failed, for `error` (and for an engine that stopped under it).
 */
error: ErrorReport | null, } | { "type": "chat_changed", 
/**
 * Chat.
 */
chat_id: number, } | { "type": "notice", 
/**
 * What happened and what to do, in English.
 */
message: string, 
/**
 * What it is about, for a window that says it in the reader's language.
 */
about: NoticeAbout, };

export type NoticeAbout = { "kind": "remote_send", 
/**
 * The provider's name.
 */
provider: string, 
/**
 * The server it reaches.
 */
host: string, 
/**
 * The model that answers.
 */
model: string, 
/**
 * Whether passages of the person's documents go with it.
 */
documents: boolean, } | { "kind": "attachment_still_reading" } | { "kind": "documents_unavailable", 
/**
 * Why, in English (from the index).
 */
detail: string, } | { "kind": "prompt_format", 
/**
 * What the engine chose and why, in English.
 */
detail: string, };

export type DownloadEvent = { "event": "queued", 
/**
 * Download id.
 */
id: string, } | { "event": "started", 
/**
 * Download id.
 */
id: string, 
/**
 * Whole size, when known.
 */
total: number | null, 
/**
 * Bytes already on disk.
 */
resumed_from: number, } | { "event": "progress", 
/**
 * Download id.
 */
id: string, 
/**
 * Bytes on disk.
 */
bytes: number, 
/**
 * Whole size, when known.
 */
total: number | null, 
/**
 * Smoothed speed.
 */
bytes_per_sec: number, 
/**
 * Seconds to go, when the size and speed are known.
 */
eta_secs: number | null, } | { "event": "retrying", 
/**
 * Download id.
 */
id: string, 
/**
 * Failures in a row.
 */
attempt: number, 
/**
 * What went wrong.
 */
reason: string, 
/**
 * Delay before the next attempt.
 */
wait_ms: number, } | { "event": "restarted", 
/**
 * Download id.
 */
id: string, 
/**
 * Why.
 */
reason: string, } | { "event": "verifying", 
/**
 * Download id.
 */
id: string, } | { "event": "finished", 
/**
 * Download id.
 */
id: string, 
/**
 * The installed file.
 */
path: string, } | { "event": "paused", 
/**
 * Download id.
 */
id: string, } | { "event": "cancelled", 
/**
 * Download id.
 */
id: string, } | { "event": "failed", 
/**
 * Download id.
 */
id: string, 
/**
 * What went wrong and what to do, in English.
 */
message: string, 
/**
 * What kind of failure it is.
 */
problem: DownloadProblem, };

export type DownloadProblem = { "kind": "unreachable" } | { "kind": "refused", 
/**
 * The HTTP status.
 */
status: number, } | { "kind": "no_checksum" } | { "kind": "damaged" } | { "kind": "insecure" } | { "kind": "disk_full", 
/**
 * Bytes still to download.
 */
needed: number, 
/**
 * Bytes free.
 */
free: number, } | { "kind": "other" };

export type DownloadTag = "download";

export type DownloadNotice = { 
/**
 * Always `"download"`.
 */
type: DownloadTag, } & ({ "event": "queued", 
/**
 * Download id.
 */
id: string, } | { "event": "started", 
/**
 * Download id.
 */
id: string, 
/**
 * Whole size, when known.
 */
total: number | null, 
/**
 * Bytes already on disk.
 */
resumed_from: number, } | { "event": "progress", 
/**
 * Download id.
 */
id: string, 
/**
 * Bytes on disk.
 */
bytes: number, 
/**
 * Whole size, when known.
 */
total: number | null, 
/**
 * Smoothed speed.
 */
bytes_per_sec: number, 
/**
 * Seconds to go, when the size and speed are known.
 */
eta_secs: number | null, } | { "event": "retrying", 
/**
 * Download id.
 */
id: string, 
/**
 * Failures in a row.
 */
attempt: number, 
/**
 * What went wrong.
 */
reason: string, 
/**
 * Delay before the next attempt.
 */
wait_ms: number, } | { "event": "restarted", 
/**
 * Download id.
 */
id: string, 
/**
 * Why.
 */
reason: string, } | { "event": "verifying", 
/**
 * Download id.
 */
id: string, } | { "event": "finished", 
/**
 * Download id.
 */
id: string, 
/**
 * The installed file.
 */
path: string, } | { "event": "paused", 
/**
 * Download id.
 */
id: string, } | { "event": "cancelled", 
/**
 * Download id.
 */
id: string, } | { "event": "failed", 
/**
 * Download id.
 */
id: string, 
/**
 * What went wrong and what to do, in English.
 */
message: string, 
/**
 * What kind of failure it is.
 */
problem: DownloadProblem, });

export type AppEvent = CoreEvent | DownloadNotice | CollectionNotice;

export type ApiStatus = { 
/**
 * The switch.
 */
enabled: boolean, 
/**
 * The address it listens on.
 */
host: string, 
/**
 * Its port.
 */
port: number, 
/**
 * `http://host:port/v1` while it runs.
 */
url: string | null, 
/**
 * The API key clients must send (while it runs).
 */
token: string | null, 
/**
 * Set when the address lets other computers in.
 */
warning: string | null, };

export type RetrievalSettings = { 
/**
 * Most passages given to a reply (1–20).
 */
passages: number, 
/**
 * A passage found by meaning alone whose cosine with the question is below this is left
 * out (−1 to 1; passages that share words with the question are always kept).
 */
min_similarity: number, };

export type Collection = { 
/**
 * Id.
 */
id: number, 
/**
 * Its name, as chats and the CLI name it.
 */
name: string, 
/**
 * Its folders (absolute paths).
 */
folders: Array<string>, 
/**
 * The embedding model its chunks are made with (catalog id or file name).
 */
embedding_model: string, 
/**
 * When it was made (Unix ms).
 */
created_at: number, };

export type CollectionSummary = { 
/**
 * Files read.
 */
files: number, 
/**
 * Chunks in the index.
 */
chunks: number, 
/**
 * Files that gave nothing.
 */
unreadable: number, 
/**
 * Id.
 */
id: number, 
/**
 * Its name, as chats and the CLI name it.
 */
name: string, 
/**
 * Its folders (absolute paths).
 */
folders: Array<string>, 
/**
 * The embedding model its chunks are made with (catalog id or file name).
 */
embedding_model: string, 
/**
 * When it was made (Unix ms).
 */
created_at: number, };

export type IndexProgress = { 
/**
 * Files read so far this run.
 */
files_done: number, 
/**
 * Files to read this run (new or changed).
 */
files_total: number, 
/**
 * Passages embedded so far this run.
 */
chunks_done: number, 
/**
 * Passages embedded per second.
 */
chunks_per_sec: number, 
/**
 * Seconds to go, once known.
 */
eta_secs: number | null, 
/**
 * The file being read.
 */
current_file: string | null, };

export type CollectionStatus = { "state": "queued" } | { "state": "indexing" } & IndexProgress | { "state": "paused" } | { "state": "ready" } | { "state": "waiting_for_model", 
/**
 * The catalog id of the model.
 */
model: string, } | { "state": "failed", 
/**
 * What went wrong and what to do.
 */
message: string, };

export type CollectionTag = "collection";

export type CollectionNotice = { 
/**
 * Always `"collection"`.
 */
type: CollectionTag, 
/**
 * The collection.
 */
collection: string, 
/**
 * What it is doing now.
 */
status: CollectionStatus, };

export type CollectionView = { 
/**
 * What it is doing now.
 */
status: CollectionStatus, 
/**
 * Files read.
 */
files: number, 
/**
 * Chunks in the index.
 */
chunks: number, 
/**
 * Files that gave nothing.
 */
unreadable: number, 
/**
 * Id.
 */
id: number, 
/**
 * Its name, as chats and the CLI name it.
 */
name: string, 
/**
 * Its folders (absolute paths).
 */
folders: Array<string>, 
/**
 * The embedding model its chunks are made with (catalog id or file name).
 */
embedding_model: string, 
/**
 * When it was made (Unix ms).
 */
created_at: number, };

export type EmbeddingOption = { 
/**
 * Its id (catalog id, else file name).
 */
id: string, 
/**
 * Its name for people.
 */
name: string, 
/**
 * What it is good at (the catalog's words); empty for a file of the person's own.
 */
description: string, 
/**
 * The description in the UI's other languages, by language code (`zh`).
 */
description_in: { [key in string]: string }, 
/**
 * Whether it is installed; one that is not is downloaded when a collection needs it.
 */
installed: boolean, 
/**
 * The download's size in bytes, for one not installed.
 */
size: number | null, };

export type LocalDocsView = { 
/**
 * Every collection, by name.
 */
collections: Array<CollectionView>, 
/**
 * Whether indexing is paused.
 */
paused: boolean, 
/**
 * The embedding models to choose from, installed ones first.
 */
models: Array<EmbeddingOption>, 
/**
 * How many passages a reply is given, and the relevance floor.
 */
retrieval: RetrievalSettings, };

export type NewCollection = { 
/**
 * Its name.
 */
name: string, 
/**
 * The folders it reads (at least one).
 */
folders: Array<string>, 
/**
 * The embedding model; the installed default when absent.
 */
model: string | null, };

export type CollectionChange = { "action": "add_folder", 
/**
 * The folder.
 */
path: string, } | { "action": "remove_folder", 
/**
 * The folder.
 */
path: string, } | { "action": "rebuild" } | { "action": "set_model", 
/**
 * The model's id.
 */
model: string, } | { "action": "remove" };

export type UnreadableFile = { 
/**
 * The file.
 */
path: string, 
/**
 * Why.
 */
reason: Unreadable, 
/**
 * The reason in words for people.
 */
message: string, };

export type Unreadable = { "reason": "encrypted_pdf" } | { "reason": "scanned_pdf" } | { "reason": "not_text" } | { "reason": "too_large", 
/**
 * The limit, in bytes.
 */
limit: number, } | { "reason": "permission_denied" } | { "reason": "empty" } | { "reason": "damaged", 
/**
 * What the reader said.
 */
detail: string, } | { "reason": "too_slow", 
/**
 * The limit, in seconds.
 */
seconds: number, } | { "reason": "too_much_memory" } | { "reason": "vanished" };

export type SnapshotUsage = { 
/**
 * Bytes on disk.
 */
bytes: number, 
/**
 * Files (one per chat branch continued, at most).
 */
files: number, 
/**
 * The most they may use (0: not saved).
 */
limit: number, };

export type Preset = { 
/**
 * Stable id (`openai`, `compatible`).
 */
id: string, 
/**
 * Name shown in the list.
 */
name: string, 
/**
 * Base address; empty for "any compatible server", where the person types it.
 */
base_url: string, 
/**
 * Whether the service refuses requests without a key.
 */
needs_key: boolean, 
/**
 * Whether the server takes llama.cpp's sampling fields (`top_k`, `min_p`,
 * `repeat_penalty`); hosted APIs refuse unknown fields.
 */
extensions: boolean, };

export type Keeping = "keychain" | "session" | "file";

export type RemoteModel = { 
/**
 * The id to ask for.
 */
id: string, 
/**
 * Who the server says owns it, when it says.
 */
owned_by: string | null, };

export type ProviderRecord = { 
/**
 * The name the person gave it; the part before `:` in its models' ids.
 */
name: string, 
/**
 * The preset it was added with (`compatible`, `openai`, …).
 */
preset: string, 
/**
 * Its base address.
 */
base_url: string, 
/**
 * Whether a key was given (kept in the keychain, not here).
 */
has_key: boolean, 
/**
 * The model ids it listed when last asked (the picker shows these without a request).
 */
models: Array<string>, };

export type NewProvider = { 
/**
 * A short name (letters, digits, `-`, `_`, `.`).
 */
name: string, 
/**
 * A preset id from [`PRESETS`].
 */
preset: string, 
/**
 * The address; the preset's when absent.
 */
base_url: string | null, 
/**
 * The API key, if the server needs one.
 */
api_key: string | null, };

export type ProvidersView = { 
/**
 * Added providers, by name.
 */
providers: Array<ProviderRecord>, 
/**
 * What can be added.
 */
presets: Array<Preset>, 
/**
 * Where a key given now would be kept.
 */
keeping: Keeping, 
/**
 * The file keys go to when there is no keychain and the person agreed.
 */
key_file: string, };

export type ProviderAdded = { 
/**
 * As saved.
 */
provider: ProviderRecord, 
/**
 * Where its key is kept, if it has one.
 */
keeping: Keeping | null, 
/**
 * What to know about its address (plain http on the network).
 */
warning: string | null, 
/**
 * The models it lists (empty when it was not asked).
 */
models: Array<RemoteModel>, };

/** The title a chat has until it gets one of its own (stored as data, in English). */
export const NEW_CHAT_TITLE = "New chat";
