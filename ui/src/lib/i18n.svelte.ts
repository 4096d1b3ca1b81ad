// Every visible string, in English and Simplified Chinese, and a sentence for every kind of
// backend failure.

import type { DownloadProblem, ErrorKind, NoticeAbout, Unreadable } from './api/types';
import { NEW_CHAT_TITLE } from './api/types';

const en = {
  newChat: 'New chat',
  search: 'Search chats',
  noChats: 'No chats yet',
  rename: 'Rename',
  delete: 'Delete',
  pin: 'Pin',
  unpin: 'Unpin',
  deleted: 'Chat deleted',
  undo: 'Undo',
  send: 'Send',
  stop: 'Stop',
  copy: 'Copy',
  copied: 'Copied',
  edit: 'Edit',
  save: 'Save and send',
  cancel: 'Cancel',
  regenerate: 'Regenerate',
  previousVersion: 'Previous version',
  nextVersion: 'Next version',
  placeholder: 'Message Hearth',
  model: 'Model',
  noModel: 'No model installed: download one with `hearth-cli models pull` first.',
  thinking: 'Thinking',
  interrupted: 'Stopped',
  sources: 'Sources',
  documents: 'Documents',
  noCollections: 'No document collections yet.',
  passages: 'passages',
  page: 'page',
  lines: 'lines',
  failed: 'The reply failed',
  tokensPerSecond: 'tokens/s',
  draftsAccepted: 'drafts accepted',
  draftsExplain: 'Tokens guessed ahead (from the conversation, or by a small draft model of the same family) and confirmed by the model in one step; the reply is the same as without.',
  tokens: 'tokens',
  welcome: 'Ask anything. Your conversation stays on this computer.',
  searchResults: 'Search results',
  noResults: 'Nothing found',
  dismiss: 'Dismiss',
  chats: 'Chats',
  models: 'Models',
  chat: 'Chat',
  installed: 'Installed',
  catalog: 'Catalog',
  guide: 'Model guide',
  size: 'Size',
  quant: 'Quantisation',
  memory: 'Memory',
  license: 'Licence',
  draftedBy: 'Faster with',
  draftedByExplain: 'Download this small model of the same family as well, and it guesses ahead for this one while replies are written, where that is faster. Replies stay the same.',
  setDefault: 'Set as default',
  isDefault: 'Default',
  verify: 'Verify',
  fitsOnly: 'Fits this computer',
  commercialOnly: 'Commercial use allowed',
  runsWell: 'Runs well',
  tight: 'Tight',
  tooBig: 'Too big',
  commercial: 'Commercial use',
  nonCommercial: 'no commercial use',
  download: 'Download',
  pause: 'Pause',
  resume: 'Resume',
  paused: 'paused',
  verifying: 'verifying…',
  family: 'Family',
  runs: 'Runs',
  why: 'Why',
  instead: 'Choose instead',
  yes: 'Yes',
  partly: 'Partly',
  no: 'No',
  settings: 'Settings',
  saved: 'Settings saved',
  temperature: 'Temperature',
  repeatPenalty: 'Repeat penalty',
  repeatWindow: 'Repeat penalty window (tokens)',
  maxLength: 'Maximum reply length (tokens)',
  appearance: 'Appearance',
  theme: 'Theme',
  themeSystem: 'Follow the system',
  themeLight: 'Light',
  themeDark: 'Dark',
  language: 'Language',
  generation: 'Generation',
  systemPrompt: 'System prompt for new chats',
  saveSettings: 'Save',
  restoreDefaults: 'Restore defaults',
  about: 'About',
  dataFolder: 'Data folder',
  privacy: 'Hearth sends nothing anywhere: no telemetry; only model downloads (and update checks, if you turn them on) use the network.',
  updates: 'Updates',
  updatesExplain: 'Hearth can look for a newer version. Every update is checked against the signature of Hearth\'s release key before it is installed.',
  checkOnStart: 'Check for updates when Hearth starts',
  checkNow: 'Check now',
  providers: 'Remote providers',
  providersExplain: 'Use a model on another machine — your team’s GPU server (vLLM, llama-server, Ollama, LM Studio) or a hosted API. Chats with a remote model are sent to that server; everything else stays here.',
  providersNone: 'No remote provider: every chat stays on this computer.',
  providerModels: 'models',
  providerKeyKept: 'key kept',
  providerNoKey: 'no key',
  providerRefresh: 'Refresh models',
  providerModelId: 'Model id it does not list',
  providerModelAdded: 'Model added',
  remoteModels: 'On remote providers',
  providerPreset: 'Service',
  providerName: 'Name',
  providerAddress: 'Address',
  providerKey: 'API key',
  providerAdd: 'Test and add',
  providerChecking: 'Testing…',
  providerAdded: 'Provider added',
  providerRemoved: 'Provider removed, with its key',
  keysInKeychain: 'Keys are kept in the system keychain, never in Hearth’s files.',
  keysInFile: 'No system keychain answers here: keys are kept in a file only you can read:',
  keysForSession: 'No system keychain answers here: keys are kept only until Hearth closes.',
  keysInFileConsent: 'Keep keys in a file only I can read (in the data folder)',
  remoteMarker: 'Remote',
  remoteOn: 'on',
  remoteExplain: 'This chat is answered by a model on another machine: its messages are sent there.',
  savedState: 'Saved conversations for quick reopening',
  savedStateExplain: 'After each reply Hearth keeps what the model has read of the chat on disk, so reopening a long chat — after a restart, or after another chat — answers at once instead of reading it all again.',
  savedStateUsed: 'In use',
  savedStateLimit: 'Most disk space (GB, 0 turns it off)',
  savedStateClear: 'Clear',
  savedStateCleared: 'Saved conversations cleared: chats are read again on their next reply.',
  checking: 'Checking…',
  upToDate: 'Hearth is up to date.',
  updateAvailable: 'A newer Hearth is available:',
  downloadUpdate: 'Download',
  downloadingUpdate: 'Downloading…',
  updateVerified: 'Downloaded, and its signature is good.',
  installUpdate: 'Install and restart',
  welcomeTitle: 'Welcome to Hearth',
  welcomeText: 'Hearth runs AI models on this computer. To start, download a model; this one fits your computer well:',
  apiServer: 'Local API server',
  apiExplain: 'Lets programs on this computer use your models through an OpenAI-compatible API. Off unless you turn it on; every request needs the token.',
  apiEnable: 'Run the API server',
  apiHost: 'Address',
  apiPort: 'Port',
  apiToken: 'Token',
  apiWarning: 'This address lets other computers on your network reach the API; anyone with the token can use your models.',
  addGguf: 'Add a GGUF file…',
  ggufPath: 'Path of a .gguf file on this computer',
  add: 'Add',
  dropHint: 'or drop .gguf files on the window (desktop app)',
  addedModel: 'Added',
  parameters: 'parameters',
  context: 'context',
  contextLength: 'Context length (tokens)',
  threads: 'Threads',
  threadsAuto: 'one per core',
  settingsFor: 'Settings for',
  allModels: 'All models',
  ownSettings: 'This model has its own settings.',
  sharedSettings: 'This model uses the settings of all models; saving gives it its own.',
  useShared: 'Use the settings of all models',
  openFolder: 'Open',
  pinned: 'Pinned',
  today: 'Today',
  previous7: 'Previous 7 days',
  older: 'Older',
  modelLoading: 'Loading the model…',
  newKey: 'New key',
  newKeyHint: 'Programs using the old key are refused from now on.',
  promptFormat: 'Prompt format',
  promptFormatOwn: "The model's own",
  notice: 'Note',
  localdocs: 'LocalDocs',
  localdocsExplain: 'Collections of your own documents (text, Markdown, PDF, Word, HTML) that chats can answer from, with their sources. They are read on this computer and kept up to date while Hearth runs.',
  addCollection: 'Add collection',
  collectionName: 'Name',
  folder: 'Folder',
  folders: 'Folders',
  folderPath: 'Path of a folder on this computer',
  chooseFolder: 'Choose folder…',
  embeddingModel: 'Embedding model',
  downloadFirst: 'downloaded first',
  downloadingModel: 'Downloading the embedding model',
  statusQueued: 'Waiting to be read',
  statusIndexing: 'Indexing',
  statusPaused: 'Paused',
  statusReady: 'Ready · watching for changes',
  statusWaitingForModel: 'Waiting for its model',
  statusFailed: 'Error',
  files: 'files',
  passagesPerSecond: 'passages/s',
  timeLeft: 'about',
  reading: 'reading',
  unreadableFiles: 'Files that could not be read',
  rebuild: 'Rebuild',
  removeCollection: 'Remove',
  confirmRemove: 'Remove this collection and its index? Your documents are not touched.',
  addFolder: 'Add folder…',
  removeFolder: 'Remove folder',
  lastFolder: 'A collection needs at least one folder',
  pauseIndexing: 'Pause indexing',
  resumeIndexing: 'Resume indexing',
  indexingPaused: 'Indexing is paused; what has been read so far is searched.',
  stillIndexing: 'still being read: answers use what has been read so far',
  attachFiles: 'Attach files (text, Markdown, PDF, Word, HTML)',
  attachPath: 'Path of a file on this computer',
  removeAttachment: 'Remove',
  attachments: 'Attached files',
  attachedSearched: 'too long to go in whole: searched for passages',
  characters: 'characters',
  answersFromDocuments: 'Answers from documents',
  passagesPerAnswer: 'Passages per answer',
  passagesPerAnswerExplain: 'How many passages a reply is given at most (1–20); more passages need a longer context.',
  relevanceFloor: 'Relevance floor',
  relevanceFloorExplain: 'Passages found by meaning alone whose similarity to the question is below this (−1 to 1) are left out; passages sharing words with the question are always kept.',
  sendFailed: 'Not sent',
  errorDetail: 'Details',
  views: 'Views',
  showChats: 'Show the chat list',
  hideChats: 'Hide the chat list',
  composerHint: 'Enter to send · Shift+Enter for a new line',
  interruptedHint: 'Regenerate for a whole reply.',
  firstToken: 'first token',
  emptyTitle: 'What shall we talk about?',
  suggestions: 'Suggested prompts',
  suggestExplainTitle: 'Explain something',
  suggestExplain: 'Explain how a refrigerator keeps food cold, in simple words.',
  suggestWriteTitle: 'Write for me',
  suggestWrite: 'Write a short, friendly email asking to move our meeting to Friday.',
  suggestCodeTitle: 'Help with code',
  suggestCode: 'Write a Python function that checks whether a word is a palindrome.',
  suggestTranslateTitle: 'Translate',
  suggestTranslate: 'Translate into French: "Where is the nearest train station?"',
  hintTheme: 'Follow the system, or always light or dark.',
  hintLanguage: 'The language of the window; replies follow the language you write in.',
  hintSettingsFor: 'One model can keep settings of its own; the others share these.',
  hintTemperature: 'Higher is more varied, 0 always picks the likeliest word.',
  hintTopP: 'Only words within this share of the probability are considered.',
  hintTopK: 'Only this many of the likeliest words are considered (0: all).',
  hintMinP: 'Drops words far less likely than the best one.',
  hintRepeatPenalty: 'Above 1 makes repeating the same words less likely.',
  hintRepeatWindow: 'How far back repetition is looked for.',
  hintMaxLength: 'A reply stops after this many tokens.',
  hintContext: 'How much of the chat the model reads; more uses more memory.',
  hintThreads: 'CPU threads for the model; empty picks one per core.',
  hintPromptFormat: 'How the chat is laid out for the model; its own is almost always right.',
  hintSystemPrompt: 'Told to the model at the start of every new chat.',
  hintApiHost: '127.0.0.1 keeps the API to this computer.',
  hintApiPort: 'Where OpenAI-compatible apps reach Hearth.',
  shaMatches: 'SHA-256 matches',
  shaDamaged: 'the file is damaged: its SHA-256 does not match. Delete it and download it again.',
  shaNothingToCompare: 'nothing to compare with',
  copyCode: 'Copy code',
  modelLoaded: 'Loaded',
  modelLoadedExplain: 'The model is in memory: the next reply starts at once.',
  unloadModel: 'Unload the model',
  modelsFolder: 'Models folder',
  modelFiles: 'model files',
  freeOnDisk: 'free on this disk',
  lowDiskSpace: 'Less than 2 GB is free on this disk: only the smallest models fit. Free some space before downloading.',
  hintModelsFolder: 'Downloaded and added models are kept here. GGUF files copied into this folder appear under Models → Installed. To keep everything on another disk, start Hearth with HEARTH_DATA_DIR set to a folder there.',
  downloadFailed: 'The download failed.',
  tryAgain: 'Try again',
  technicalDetail: 'Technical detail',
  collectionFailed: 'Reading these documents stopped. What was read is kept and still searched; fix the cause below, then choose Rebuild.',
  modelFileProblem: 'Hearth cannot use this file as a model. Delete it, or download the model again.',
  reconnecting: 'connection lost, trying again',
  offlineTitle: 'You seem to be offline.',
  offlineText: 'The catalog is built into Hearth, so you can still browse it, and your installed models work as usual. Downloads resume where they stopped once you are connected.',
  unloadModelExplain: 'Free the memory the model takes; the next reply loads it again.',
  modelUnloaded: 'Model unloaded: its memory is free again.',
} as const;

type Key = keyof typeof en;

const zh: Record<Key, string> = {
  newChat: '新对话',
  search: '搜索对话',
  noChats: '还没有对话',
  rename: '重命名',
  delete: '删除',
  pin: '置顶',
  unpin: '取消置顶',
  deleted: '对话已删除',
  undo: '撤销',
  send: '发送',
  stop: '停止',
  copy: '复制',
  copied: '已复制',
  edit: '编辑',
  save: '保存并发送',
  cancel: '取消',
  regenerate: '重新生成',
  previousVersion: '上一个版本',
  nextVersion: '下一个版本',
  placeholder: '给 Hearth 发消息',
  model: '模型',
  noModel: '尚未安装模型：请先用 `hearth-cli models pull` 下载一个。',
  thinking: '思考过程',
  interrupted: '已停止',
  sources: '来源',
  documents: '文档',
  noCollections: '还没有文档集合。',
  passages: '段',
  page: '页',
  lines: '行',
  failed: '回复失败',
  tokensPerSecond: '词元/秒',
  draftsAccepted: '草稿采纳',
  draftsExplain: '预先猜测（根据对话内容，或由同系列的小型草稿模型）、并由模型一步确认的词元；回复与不使用时完全相同。',
  tokens: '词元',
  welcome: '随便问。你的对话只保存在这台电脑上。',
  searchResults: '搜索结果',
  noResults: '没有找到',
  dismiss: '关闭',
  chats: '对话',
  models: '模型',
  chat: '聊天',
  installed: '已安装',
  catalog: '模型目录',
  guide: '模型指南',
  size: '大小',
  quant: '量化',
  memory: '内存',
  license: '许可证',
  draftedBy: '搭配加速',
  draftedByExplain: '再下载这个同系列的小模型，生成回复时它会在更快的情况下为本模型预先猜测词元。回复内容不变。',
  setDefault: '设为默认',
  isDefault: '默认',
  verify: '校验',
  fitsOnly: '适合这台电脑',
  commercialOnly: '允许商用',
  runsWell: '运行流畅',
  tight: '内存紧张',
  tooBig: '太大',
  commercial: '可商用',
  nonCommercial: '不可商用',
  download: '下载',
  pause: '暂停',
  resume: '继续',
  paused: '已暂停',
  verifying: '正在校验…',
  family: '系列',
  runs: '可运行',
  why: '说明',
  instead: '推荐替代',
  yes: '是',
  partly: '部分',
  no: '否',
  settings: '设置',
  saved: '设置已保存',
  temperature: '温度',
  repeatPenalty: '重复惩罚',
  repeatWindow: '重复惩罚窗口（词元）',
  maxLength: '回复最大长度（词元）',
  appearance: '外观',
  theme: '主题',
  themeSystem: '跟随系统',
  themeLight: '浅色',
  themeDark: '深色',
  language: '语言',
  generation: '生成',
  systemPrompt: '新对话的系统提示词',
  saveSettings: '保存',
  restoreDefaults: '恢复默认',
  about: '关于',
  dataFolder: '数据文件夹',
  privacy: 'Hearth 不向任何地方发送数据：没有遥测；只有下载模型时（以及您开启的更新检查）才联网。',
  updates: '更新',
  updatesExplain: 'Hearth 可以检查新版本。每个更新在安装前都会用 Hearth 发布密钥的签名进行校验。',
  checkOnStart: '启动时检查更新',
  checkNow: '立即检查',
  providers: '远程服务',
  providersExplain: '使用其他机器上的模型——团队的 GPU 服务器（vLLM、llama-server、Ollama、LM Studio）或托管 API。使用远程模型的对话会发送到该服务器；其他一切都留在本机。',
  providersNone: '没有远程服务：所有对话都留在本机。',
  providerModels: '模型',
  providerKeyKept: '已保存密钥',
  providerNoKey: '无密钥',
  providerRefresh: '刷新模型列表',
  providerModelId: '未列出的模型 ID',
  providerModelAdded: '已添加模型',
  remoteModels: '远程服务上的模型',
  providerPreset: '服务',
  providerName: '名称',
  providerAddress: '地址',
  providerKey: 'API 密钥',
  providerAdd: '测试并添加',
  providerChecking: '测试中…',
  providerAdded: '已添加服务',
  providerRemoved: '已删除服务及其密钥',
  keysInKeychain: '密钥保存在系统钥匙串中，从不写入 Hearth 的文件。',
  keysInFile: '此处没有可用的系统钥匙串：密钥保存在仅你可读的文件中：',
  keysForSession: '此处没有可用的系统钥匙串：密钥只保留到 Hearth 关闭。',
  keysInFileConsent: '将密钥保存在仅我可读的文件中（数据文件夹内）',
  remoteMarker: '远程',
  remoteOn: '位于',
  remoteExplain: '此对话由其他机器上的模型回答：消息会发送到那里。',
  savedState: '已保存的对话状态（快速重新打开）',
  savedStateExplain: '每次回复后，Hearth 会把模型读过的对话内容保存在磁盘上，这样重新打开一个长对话（重启后或切换对话后）时可以立即回答，而不必重新读完整个对话。',
  savedStateUsed: '已使用',
  savedStateLimit: '最多使用的磁盘空间（GB，0 表示关闭）',
  savedStateClear: '清除',
  savedStateCleared: '已清除保存的对话状态：对话会在下一次回复时重新读取。',
  checking: '正在检查…',
  upToDate: 'Hearth 已是最新版本。',
  updateAvailable: '有新版本的 Hearth：',
  downloadUpdate: '下载',
  downloadingUpdate: '正在下载…',
  updateVerified: '已下载，签名正确。',
  installUpdate: '安装并重启',
  welcomeTitle: '欢迎使用 Hearth',
  welcomeText: 'Hearth 在这台电脑上运行 AI 模型。先下载一个模型吧；这个很适合你的电脑：',
  apiServer: '本地 API 服务',
  apiExplain: '让这台电脑上的程序通过兼容 OpenAI 的 API 使用你的模型。默认关闭；每个请求都需要令牌。',
  apiEnable: '运行 API 服务',
  apiHost: '地址',
  apiPort: '端口',
  apiToken: '令牌',
  apiWarning: '这个地址允许你网络中的其他电脑访问 API；任何拿到令牌的人都能使用你的模型。',
  addGguf: '添加 GGUF 文件…',
  ggufPath: '这台电脑上 .gguf 文件的路径',
  add: '添加',
  dropHint: '或把 .gguf 文件拖到窗口上（桌面应用）',
  addedModel: '已添加',
  parameters: '个参数',
  context: '上下文',
  contextLength: '上下文长度（词元）',
  threads: '线程数',
  threadsAuto: '每个核心一个',
  settingsFor: '设置对象',
  allModels: '所有模型',
  ownSettings: '这个模型有自己的设置。',
  sharedSettings: '这个模型使用所有模型的设置；保存后它将拥有自己的设置。',
  useShared: '改用所有模型的设置',
  openFolder: '打开',
  pinned: '已置顶',
  today: '今天',
  previous7: '过去 7 天',
  older: '更早',
  modelLoading: '正在加载模型…',
  newKey: '生成新密钥',
  newKeyHint: '使用旧密钥的程序将被拒绝。',
  promptFormat: '提示词格式',
  promptFormatOwn: '模型自带',
  notice: '提示',
  localdocs: '本地文档',
  localdocsExplain: '由你自己的文档（文本、Markdown、PDF、Word、HTML）组成的集合，对话可以据此回答并注明来源。文档在本机读取，Hearth 运行期间自动保持更新。',
  addCollection: '添加集合',
  collectionName: '名称',
  folder: '文件夹',
  folders: '文件夹',
  folderPath: '本机上某个文件夹的路径',
  chooseFolder: '选择文件夹…',
  embeddingModel: '嵌入模型',
  downloadFirst: '需先下载',
  downloadingModel: '正在下载嵌入模型',
  statusQueued: '等待读取',
  statusIndexing: '正在建立索引',
  statusPaused: '已暂停',
  statusReady: '已就绪 · 正在监视变化',
  statusWaitingForModel: '等待模型下载',
  statusFailed: '出错',
  files: '个文件',
  passagesPerSecond: '段/秒',
  timeLeft: '约剩',
  reading: '正在读取',
  unreadableFiles: '无法读取的文件',
  rebuild: '重建索引',
  removeCollection: '移除',
  confirmRemove: '移除此集合及其索引？你的文档不会被改动。',
  addFolder: '添加文件夹…',
  removeFolder: '移除文件夹',
  lastFolder: '集合至少需要一个文件夹',
  pauseIndexing: '暂停索引',
  resumeIndexing: '继续索引',
  indexingPaused: '索引已暂停；检索使用已读取的内容。',
  stillIndexing: '仍在读取中：回答使用已读取的内容',
  attachFiles: '附加文件（文本、Markdown、PDF、Word、HTML）',
  attachPath: '本机上某个文件的路径',
  removeAttachment: '移除',
  attachments: '附加的文件',
  attachedSearched: '太长无法整篇放入：按段落检索',
  characters: '字符',
  answersFromDocuments: '根据文档回答',
  passagesPerAnswer: '每次回答的段落数',
  passagesPerAnswerExplain: '一次回复最多使用的段落数（1–20）；段落越多，需要的上下文越长。',
  relevanceFloor: '相关度下限',
  relevanceFloorExplain: '仅按语义找到、且与问题的相似度低于此值（−1 到 1）的段落会被略去；与问题有共同词语的段落总会保留。',
  sendFailed: '未发送',
  errorDetail: '详情',
  views: '视图',
  showChats: '显示对话列表',
  hideChats: '隐藏对话列表',
  composerHint: 'Enter 发送 · Shift+Enter 换行',
  interruptedHint: '点“重新生成”可得到完整回复。',
  firstToken: '首个词元',
  emptyTitle: '想聊点什么？',
  suggestions: '建议的问题',
  suggestExplainTitle: '解释一下',
  suggestExplain: '用简单的话解释冰箱是怎样让食物保持低温的。',
  suggestWriteTitle: '帮我写',
  suggestWrite: '写一封简短友好的邮件，请求把我们的会议改到星期五。',
  suggestCodeTitle: '写代码',
  suggestCode: '写一个 Python 函数，判断一个单词是不是回文。',
  suggestTranslateTitle: '翻译',
  suggestTranslate: '翻译成英文：“最近的火车站在哪里？”',
  hintTheme: '跟随系统，或始终浅色、深色。',
  hintLanguage: '窗口的语言；回复跟随你提问所用的语言。',
  hintSettingsFor: '可以给某个模型单独设置；其他模型共用这些设置。',
  hintTemperature: '越高越多变，0 总是选最可能的词。',
  hintTopP: '只考虑累计概率在此比例内的词。',
  hintTopK: '只考虑最可能的这么多个词（0：全部）。',
  hintMinP: '去掉比最佳词可能性低得多的词。',
  hintRepeatPenalty: '大于 1 时不容易重复同样的词。',
  hintRepeatWindow: '往回查找重复的范围。',
  hintMaxLength: '回复达到这么多词元后停止。',
  hintContext: '模型读取多少对话内容；越多占用内存越多。',
  hintThreads: '模型使用的 CPU 线程数；留空则每个核心一个。',
  hintPromptFormat: '对话交给模型时的格式；模型自带的几乎总是对的。',
  hintSystemPrompt: '每个新对话开始时告诉模型的话。',
  hintApiHost: '127.0.0.1 让 API 只在这台电脑上可用。',
  hintApiPort: '兼容 OpenAI 的应用通过这个端口连接 Hearth。',
  shaMatches: 'SHA-256 校验一致',
  shaDamaged: '文件已损坏：SHA-256 不一致。请删除后重新下载。',
  shaNothingToCompare: '没有可对照的校验值',
  copyCode: '复制代码',
  modelLoaded: '已加载',
  modelLoadedExplain: '模型已在内存中：下一次回复会立即开始。',
  unloadModel: '卸载模型',
  modelsFolder: '模型文件夹',
  modelFiles: '个模型文件',
  freeOnDisk: '磁盘可用',
  lowDiskSpace: '此磁盘可用空间不足 2 GB，只放得下最小的模型。下载前请先释放空间。',
  hintModelsFolder: '下载和添加的模型保存在这里。复制到此文件夹的 GGUF 文件会出现在“模型 → 已安装”中。若要把所有数据放到另一块磁盘，请设置 HEARTH_DATA_DIR 为该磁盘上的文件夹后启动 Hearth。',
  downloadFailed: '下载失败。',
  tryAgain: '重试',
  technicalDetail: '技术细节',
  collectionFailed: '读取这些文档已停止。已读取的内容会保留并照常可搜索；请解决下方所述的原因，然后选择“重建索引”。',
  modelFileProblem: 'Hearth 无法把此文件作为模型使用。请删除它，或重新下载该模型。',
  reconnecting: '连接中断，正在重试',
  offlineTitle: '你似乎处于离线状态。',
  offlineText: '模型目录内置于 Hearth 中，你仍可浏览；已安装的模型照常可用。联网后，下载会从中断处继续。',
  unloadModelExplain: '释放模型占用的内存；下一次回复时会重新加载。',
  modelUnloaded: '模型已卸载，内存已释放。',
};

export const languages = { en, zh } as const;
export type Language = keyof typeof languages;

function initialLanguage(): Language {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('hearth-language') : null;
  if (saved === 'en' || saved === 'zh') return saved;
  return typeof navigator !== 'undefined' && navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

class Locale {
  language = $state<Language>(initialLanguage());
}

export const locale = new Locale();

/** The string for `key` in the current language. */
export function t(key: Key): string {
  return languages[locale.language][key];
}

/** A chat's title as shown: the stored default in the reader's language, any other as it is. */
export function chatTitle(chat: { title: string }): string {
  return chat.title === NEW_CHAT_TITLE ? t('newChat') : chat.title;
}

/** A sentence the backend gives in English with its translations by language code (the
 * catalog's descriptions), in the reader's language where there is one. */
export function localized(english: string, translations: { [language in string]?: string }): string {
  return translations[locale.language] ?? english;
}

/** A sentence for each kind of backend failure, in each language: what happened and what to do.
 * Keyed by the Rust side's `ErrorKind`, so a new kind fails the type check until it is
 * translated. */
const errorTexts: Record<Language, Record<ErrorKind, string>> = {
  en: {
    invalid: 'That request could not be carried out as given.',
    not_found: 'That chat or message no longer exists.',
    model_not_installed: 'That model is not installed (any more). Choose another one, or download it on the Models screen.',
    unknown_model: 'There is no such model in the catalog.',
    bad_model_file: 'That file is not a model Hearth can run.',
    model_load_failed: 'The model could not be loaded, often for lack of memory. Close other programs or choose a smaller model.',
    context_full: 'The conversation no longer fits the model’s context. Start a new chat or raise the context length in Settings.',
    template: 'The model’s prompt format could not be used. Choose a prompt format in this model’s settings.',
    engine_stopped: 'The engine stopped unexpectedly. The reply was cut short; send again to start a fresh engine.',
    engine_missing: 'Hearth’s engine program is missing or does not match this app. Reinstall Hearth.',
    download: 'The download failed. Check your connection and try again; it resumes where it stopped.',
    disk_full: 'There is not enough free disk space. Free some space and try again.',
    storage: 'The chat database could not be read or written.',
    file: 'A file or folder could not be read or written.',
    conflict: 'That is already there or already under way.',
    busy: 'Too many requests are waiting. Try again shortly.',
    unauthorized: 'This page’s access key is missing or no longer valid. Open the address `hearth-cli serve` printed again.',
    forbidden: 'This request was refused because of where it came from.',
    unavailable: 'The computer could not do that right now.',
    update: 'The update could not be checked, downloaded or installed.',
    remote: 'The remote model’s server could not answer. The detail says why (a wrong key, no credit, the server unreachable); check Settings → Remote providers.',
    internal: 'Something went wrong inside Hearth.',
  },
  zh: {
    invalid: '无法按所给内容执行该操作。',
    not_found: '该对话或消息已不存在。',
    model_not_installed: '该模型未安装（或已被移除）。请选择其他模型，或在“模型”页面下载。',
    unknown_model: '模型目录中没有该模型。',
    bad_model_file: '该文件不是 Hearth 能运行的模型。',
    model_load_failed: '无法加载模型，通常是内存不足。请关闭其他程序或选择更小的模型。',
    context_full: '对话已超出模型的上下文长度。请新建对话，或在设置中增大上下文长度。',
    template: '无法使用该模型的提示词格式。请在该模型的设置中选择一种提示词格式。',
    engine_stopped: '推理引擎意外停止，回复被中断；再次发送将启动新的引擎。',
    engine_missing: 'Hearth 的推理引擎程序缺失或与本程序版本不符。请重新安装 Hearth。',
    download: '下载失败。请检查网络后重试，下载会从中断处继续。',
    disk_full: '磁盘空间不足。请释放空间后重试。',
    storage: '无法读取或写入对话数据库。',
    file: '无法读取或写入文件或文件夹。',
    conflict: '该项已存在或正在进行中。',
    busy: '等待的请求过多，请稍后再试。',
    unauthorized: '此页面的访问密钥缺失或已失效。请重新打开 `hearth-cli serve` 显示的地址。',
    forbidden: '由于请求来源，该请求被拒绝。',
    unavailable: '系统暂时无法完成该操作。',
    update: '无法检查、下载或安装更新。',
    remote: '远程模型的服务器无法应答。详情说明了原因（密钥错误、额度用尽、无法连接服务器）；请检查“设置 → 远程服务”。',
    internal: 'Hearth 内部出错。',
  },
};

/** A failure as the UI shows it: a sentence in the reader's language for its kind, and the
 * backend's own words (English) as the detail. */
export interface ShownError {
  text: string;
  detail: string | null;
}

/** Describes an error thrown by the backend (or anything else) for the banner. */
export function describeError(e: unknown): ShownError {
  if (e instanceof Error && 'kind' in e) {
    const kind = (e as Error & { kind: ErrorKind }).kind;
    return errorOfKind(kind, e.message);
  }
  return { text: e instanceof Error ? e.message : String(e), detail: null };
}

/** The sentence for an error kind (from an event or a stored reply) with its detail. */
export function errorOfKind(kind: string | null | undefined, message: string | null | undefined): ShownError {
  const texts = errorTexts[locale.language];
  const text = kind && kind in texts ? texts[kind as ErrorKind] : null;
  const detail = message ? message.charAt(0).toUpperCase() + message.slice(1) : null;
  if (!text) return { text: detail ?? texts.internal, detail: null };
  return { text, detail: detail && detail !== text ? detail : null };
}

/** Why a file gave no text, in the reader's language. */
export function describeUnreadable(u: Unreadable): string {
  const zh = locale.language === 'zh';
  switch (u.reason) {
    case 'encrypted_pdf':
      return zh ? '加密的 PDF：需要密码，无法读取文字' : 'encrypted PDF: it needs a password, so its text cannot be read';
    case 'scanned_pdf':
      return zh ? '扫描版 PDF，没有文字层：页面是图片（先做 OCR 才能读取）' : 'scanned PDF with no text layer: its pages are pictures (run it through OCR to read it)';
    case 'not_text':
      return zh ? '不是 UTF-8 文本：二进制文件，或其他编码的文本' : 'not UTF-8 text: a binary file, or text in another encoding';
    case 'too_large':
      return zh ? `超过 ${Math.round(u.limit / 1_000_000)} MB 的大小上限` : `larger than the limit of ${Math.round(u.limit / 1_000_000)} MB`;
    case 'permission_denied':
      return zh ? '没有权限：Hearth 不能读取它' : 'permission denied: Hearth may not read it';
    case 'empty':
      return zh ? '其中没有文字' : 'it holds no text';
    case 'damaged':
      return zh ? `文件已损坏，或格式与扩展名不符（${u.detail}）` : `damaged, or not the format its name says (${u.detail})`;
    case 'too_slow':
      return zh ? `读取超过 ${u.seconds} 秒，已跳过` : `reading it took longer than ${u.seconds} s, so it was left out`;
    case 'too_much_memory':
      return zh ? '读取所需内存超出上限（或读取程序崩溃），已跳过' : 'reading it needed more memory than allowed (or crashed the reader), so it was left out';
    case 'vanished':
      return zh ? '读取时文件被删除或移动' : 'it was deleted or moved while being read';
  }
}

/** A notice from the backend in each language, from what it is about. */
const noticeTexts: Record<Language, (about: NoticeAbout) => string> = {
  en: (about) => {
    switch (about.kind) {
      case 'remote_send':
        return `This chat${about.documents ? ', with passages from your documents,' : ''} is sent to ${about.provider} at ${about.host} to be answered by ${about.model}.`;
      case 'attachment_still_reading':
        return 'Your attached file is still being read; this reply uses what has been read so far.';
      case 'documents_unavailable':
        return `Your documents could not be searched (${about.detail}); this reply does not use them.`;
      case 'prompt_format':
        return `The model's own prompt format could not be used: ${about.detail}`;
    }
  },
  zh: (about) => {
    switch (about.kind) {
      case 'remote_send':
        return `此对话${about.documents ? '（连同你文档中的段落）' : ''}将发送到 ${about.provider}（${about.host}），由 ${about.model} 回答。`;
      case 'attachment_still_reading':
        return '附加的文件仍在读取中；本次回复只用到已读取的部分。';
      case 'documents_unavailable':
        return `无法搜索你的文档（${about.detail}）；本次回复没有使用它们。`;
      case 'prompt_format':
        return `无法使用模型自带的提示词格式：${about.detail}`;
    }
  },
};

const downloadProblemTexts: Record<Language, (problem: DownloadProblem, size: (bytes: number) => string) => string> = {
  en: (problem, size) => {
    switch (problem.kind) {
      case 'unreachable':
        return 'The download server could not be reached: you may be offline, or the server is down. Try again when you are connected; the download resumes where it stopped.';
      case 'refused':
        return `The server refused the file (HTTP ${problem.status}). It may have moved; a newer Hearth may know its new address.`;
      case 'no_checksum':
        return 'No checksum is published for this file, so Hearth did not download it: it could not be checked.';
      case 'damaged':
        return 'The downloaded file was not the right one (its checksum did not match) and was deleted. Try again; if it repeats, the file on the server has changed.';
      case 'insecure':
        return 'The server sent the download on to an insecure address, so Hearth stopped it.';
      case 'disk_full':
        return `Not enough disk space: ${size(problem.needed)} needed, ${size(problem.free)} free. Free some space and resume.`;
      case 'other':
        return 'The download failed.';
    }
  },
  zh: (problem, size) => {
    switch (problem.kind) {
      case 'unreachable':
        return '无法连接下载服务器：可能处于离线状态，或服务器出现故障。联网后请重试，下载会从中断处继续。';
      case 'refused':
        return `服务器拒绝提供该文件（HTTP ${problem.status}）。文件可能已移动，更新版本的 Hearth 可能知道它的新地址。`;
      case 'no_checksum':
        return '该文件没有公布校验和，无法校验，因此 Hearth 没有下载它。';
      case 'damaged':
        return '下载的文件不正确（校验和不符），已被删除。请重试；如果再次出现，说明服务器上的文件已更改。';
      case 'insecure':
        return '服务器把下载转到了不安全的地址，Hearth 已停止下载。';
      case 'disk_full':
        return `磁盘空间不足：需要 ${size(problem.needed)}，可用 ${size(problem.free)}。请释放空间后继续下载。`;
      case 'other':
        return '下载失败。';
    }
  },
};

/** Why a download failed, in the reader's language (`size` writes a byte count). */
export function downloadProblemText(problem: DownloadProblem, size: (bytes: number) => string): string {
  return downloadProblemTexts[locale.language](problem, size);
}

/** A backend notice in the reader's language. */
export function noticeText(about: NoticeAbout): string {
  return noticeTexts[locale.language](about);
}
