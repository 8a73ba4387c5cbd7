/**
 * The message box. Drafts are kept per conversation in localStorage (they survive a
 * reload); for SMS the segments, encoding and estimated cost are shown while typing
 * (POST /sms/preview, debounced). Enter sends, Shift+Enter is a new line, Escape goes
 * back to the conversation list.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp } from "../context";
import type { Conversation, SmsPreview } from "../lib/types";

const TYPING_EVERY_MS = 3000;
const PREVIEW_DEBOUNCE_MS = 300;

function draftKey(userId: string, conversationId: string): string {
  return `texting.draft.${userId}.${conversationId}`;
}

export function Composer({ conversation }: { conversation: Conversation }) {
  const { api, store, realtime } = useApp();
  const key = draftKey(store.state.me.user_id, conversation.id);
  const [text, setText] = useState(() => localStorage.getItem(key) || "");
  const [preview, setPreview] = useState<SmsPreview | null>(null);
  const [previewError, setPreviewError] = useState("");
  const lastTyping = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const sms = conversation.type === "sms";
  const offline = store.state.connection === "offline"; // sending waits for the connection (docs/web.md)

  useEffect(() => {
    setText(localStorage.getItem(key) || "");
    setPreview(null);
  }, [key]);

  useEffect(() => {
    if (!sms || !text.trim()) {
      setPreview(null);
      setPreviewError("");
      return;
    }
    const timer = setTimeout(() => {
      api.post<SmsPreview>("/sms/preview", { text, to: conversation.external_number })
        .then((p) => { setPreview(p); setPreviewError(""); })
        .catch((e) => setPreviewError(e.message));
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, sms, conversation.external_number]);

  function change(value: string) {
    setText(value);
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      realtime.sendAction({ action: "typing", conversation_id: conversation.id });
    }
  }

  function send() {
    const body = text.trim();
    if (!body || offline) return;
    change("");
    lastTyping.current = 0;
    void store.send(conversation.id, body);
    box.current?.focus();
  }

  const cost = preview?.estimated_cost;
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <label class="sr-only" for="composer">Message</label>
      <textarea id="composer" ref={box} rows={2} aria-label="Message" value={text}
        placeholder={sms ? `Text ${store.numberName(conversation.external_number || "")}` : "Write a message"}
        aria-describedby={sms ? "sms-preview" : undefined}
        onInput={(e) => change(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          } else if (e.key === "Escape") {
            document.querySelector<HTMLElement>('[aria-label="Conversations"] button[tabindex="0"]')?.focus();
          }
        }} />
      <button type="submit" disabled={!text.trim() || offline}>Send</button>
      {offline && <p class="composer-offline">Offline — sending waits for the connection; your draft is kept.</p>}
      {sms && (
        <p id="sms-preview" class="sms-preview" aria-live="polite">
          {previewError ? previewError : preview ? (
            <>
              {preview.segments} segment{preview.segments === 1 ? "" : "s"} · {preview.encoding} · {preview.remaining} characters left
              {cost ? ` · est. ${cost.amount} ${cost.currency}` : ""}
              {preview.non_gsm_characters.length ? ` · not GSM: ${preview.non_gsm_characters.join(" ")}` : ""}
            </>
          ) : "SMS: 160 characters per segment (70 with emoji or accents outside GSM-7)"}
        </p>
      )}
    </form>
  );
}
