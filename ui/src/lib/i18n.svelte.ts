// Every visible string, in English and Simplified Chinese.

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
  placeholder: 'Message Hearth (Enter to send, Shift+Enter for a new line)',
  model: 'Model',
  noModel: 'No model installed: download one with `hearth-cli models pull` first.',
  thinking: 'Thinking',
  interrupted: 'Stopped',
  failed: 'The reply failed',
  tokensPerSecond: 'tokens/s',
  tokens: 'tokens',
  welcome: 'Ask anything. Your conversation stays on this computer.',
  searchResults: 'Search results',
  noResults: 'Nothing found',
  dismiss: 'Dismiss',
  chats: 'Chats',
  pinned: 'Pinned',
  today: 'Today',
  previous7: 'Previous 7 days',
  older: 'Older',
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
  placeholder: '给 Hearth 发消息（Enter 发送，Shift+Enter 换行）',
  model: '模型',
  noModel: '尚未安装模型：请先用 `hearth-cli models pull` 下载一个。',
  thinking: '思考过程',
  interrupted: '已停止',
  failed: '回复失败',
  tokensPerSecond: '词元/秒',
  tokens: '词元',
  welcome: '随便问。你的对话只保存在这台电脑上。',
  searchResults: '搜索结果',
  noResults: '没有找到',
  dismiss: '关闭',
  chats: '对话',
  pinned: '已置顶',
  today: '今天',
  previous7: '过去 7 天',
  older: '更早',
};

export const languages = { en, zh } as const;
export type Language = keyof typeof languages;

class Locale {
  language = $state<Language>(
    typeof navigator !== 'undefined' && navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en',
  );
}

export const locale = new Locale();

/** The string for `key` in the current language. */
export function t(key: Key): string {
  return languages[locale.language][key];
}
