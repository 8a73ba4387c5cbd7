/** GET /search: its answer, and the highlight it carries read as text and marks.

The server's highlight is the message text HTML-escaped, with each match wrapped in
<mark>…</mark> (docs/api.md). The client never hands it to innerHTML: it splits it
on exactly those two markers and unescapes the five entities the server writes, so
whatever a message says (tags, scripts, entities) shows as the text it is. */
import type { Message } from "./types";

export interface SearchHit {
  conversation_id: string;
  message: Message;
  highlight: string;
}

export interface SearchPage {
  items: SearchHit[];
  next_cursor: string | null;
}

export interface Fragment {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'" };

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** The highlight as plain-text fragments, the matches marked. */
export function fragments(highlight: string): Fragment[] {
  const out: Fragment[] = [];
  let mark = false;
  for (const piece of highlight.split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>") mark = true;
    else if (piece === "</mark>") mark = false;
    else if (piece) out.push({ text: unescape(piece), mark });
  }
  return out;
}

/** The element id of a message in the open conversation (a search result scrolls to it). */
export function messageElementId(messageId: string): string {
  return `message-${messageId}`;
}
