/**
 * Drafts: the unsent text of each conversation, per user, in localStorage, so a
 * reload keeps it. Sending clears a conversation's draft; signing out clears them all
 * (the next person on this browser must not read them).
 */
const PREFIX = "texting.draft.";

export function draftKey(userId: string, conversationId: string): string {
  return `${PREFIX}${userId}.${conversationId}`;
}

export function readDraft(key: string): string {
  return localStorage.getItem(key) || "";
}

export function writeDraft(key: string, text: string): void {
  if (text) localStorage.setItem(key, text);
  else localStorage.removeItem(key);
}

/** Every draft of every user of this browser. */
export function clearDrafts(): void {
  const keys: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith(PREFIX)) keys.push(key);
  }
  for (const key of keys) localStorage.removeItem(key);
}
