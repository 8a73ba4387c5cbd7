/**
 * The message box. Drafts are kept per conversation in localStorage (they survive a
 * reload, and go on send and on sign-out); for SMS the segments, encoding and estimated
 * cost are shown while typing (POST /sms/preview, debounced). Enter sends, Shift+Enter
 * is a new line, Escape goes back to the conversation list.
 *
 * Attachments (SMS and IM): the `Attach` button, a file dropped on the thread (the
 * thread hands it over through `attachRef`) or an image pasted into the box. Each file
 * is checked against the limits first (the reason shows beside the box), uploaded at
 * once (POST /media with its name), and shown as a chip until sent.
 */
import type { Ref } from "preact";
import { useEffect, useImperativeHandle, useRef, useState } from "preact/hooks";
import { useApp } from "../context";
import { acceptedTypes, attachReason, named, type Pending } from "../lib/attachments";
import { DEFAULT_LIMITS, type MediaItem, mediaLimits, type MediaLimits, uploadMedia } from "../lib/conversation_api";
import { draftKey, readDraft, writeDraft } from "../lib/drafts";
import { bytes } from "../lib/text";
import type { Conversation, SmsPreview } from "../lib/types";
import "./conversation.css";
import { useKeyedState } from "./keyed";

const TYPING_EVERY_MS = 3000;
const PREVIEW_DEBOUNCE_MS = 300;

export interface Attacher {
  attach: (files: File[]) => void;
}

let limitsOnce: Promise<MediaLimits> | null = null;

function useLimits(): MediaLimits {
  const { api } = useApp();
  const [limits, setLimits] = useState(DEFAULT_LIMITS);
  useEffect(() => {
    limitsOnce ??= mediaLimits(api).catch(() => {
      limitsOnce = null;
      return DEFAULT_LIMITS;
    });
    void limitsOnce.then(setLimits);
  }, [api]);
  return limits;
}

function Chip({ item, onRemove }: { item: Pending; onRemove: () => void }) {
  const state = item.error ? `not uploaded: ${item.error}` : item.key ? "ready" : "uploading…";
  return (
    <li class={`chip${item.error ? " failed" : ""}`}>
      <span class="chip-name">{item.file.name}</span>
      <span class="chip-size">{bytes(item.file.size)}</span>
      <span class="chip-state">{state}</span>
      <button type="button" class="link" aria-label={`Remove ${item.file.name}`} onClick={onRemove}>✕</button>
    </li>
  );
}

export function Composer({ conversation, peerOffline, attachRef }: {
  conversation: Conversation;
  peerOffline?: string;
  attachRef: Ref<Attacher> | null;
}) {
  const { api, store, realtime } = useApp();
  const key = draftKey(store.state.me.user_id, conversation.id);
  // the box, its attachments and their reasons belong to one conversation's draft, and
  // start over with the next one in the same render (keyed.ts)
  const [text, setText] = useKeyedState(key, () => readDraft(key));
  const [preview, setPreview] = useKeyedState<SmsPreview | null>(key, null);
  const [previewError, setPreviewError] = useKeyedState(key, "");
  const [pending, setPending] = useKeyedState<Pending[]>(key, () => []);
  const [reason, setReason] = useKeyedState(key, "");
  const lastTyping = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const live = useRef(pending);
  live.current = pending;
  const limits = useLimits();
  const sms = conversation.type === "sms";
  const offline = store.state.connection === "offline"; // sending waits for the connection (docs/web.md)

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
  }, [key, text, sms, conversation.external_number]);

  function change(value: string) {
    setText(value);
    writeDraft(key, value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      realtime.sendAction({ action: "typing", conversation_id: conversation.id });
    }
  }

  function update(id: string, patch: Partial<Pending>) {
    setPending((items) => items.map((p) => (p.id === id ? { ...p, ...patch } : p)));
  }

  function attach(files: File[]) {
    const added = files.map(named);
    if (!added.length) return;
    const destination = sms ? { to: conversation.external_number || "", from: conversation.business_number || "" } : null;
    const why = attachReason([...live.current.map((p) => p.file), ...added], limits, destination);
    setReason(why);
    if (why) return;
    const items = added.map((file) => ({ id: crypto.randomUUID(), file }));
    setPending((old) => [...old, ...items]);
    for (const item of items) {
      uploadMedia(api, item.file).then(
        (uploadKey) => update(item.id, { key: uploadKey }),
        (e) => {
          update(item.id, { error: e.message });
          setReason(`${item.file.name}: ${e.message}`);
        },
      );
    }
  }
  useImperativeHandle(attachRef, () => ({ attach }), [attach]);

  const uploading = pending.some((p) => !p.key && !p.error);
  const ready = pending.filter((p) => p.key);
  const canSend = !uploading && !pending.some((p) => p.error) && (!!text.trim() || ready.length > 0);

  function send() {
    const body = text.trim();
    if (!canSend || offline) return;
    change("");
    lastTyping.current = 0;
    if (ready.length) {
      const shown: MediaItem[] = ready.map((p, index) => ({ index, content_type: p.file.type, size: p.file.size, filename: p.file.name }));
      void store.sendWithMedia(conversation.id, body, ready.map((p) => p.key!), shown);
      setPending([]);
      setReason("");
    } else {
      void store.send(conversation.id, body);
    }
    box.current?.focus();
  }

  const cost = preview?.estimated_cost;
  const described = [sms ? "sms-preview" : "", peerOffline ? "peer-offline" : "", reason ? "attach-reason" : ""].filter(Boolean).join(" ");
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      {peerOffline && <p id="peer-offline" class="peer-offline">{peerOffline}</p>}
      {pending.length > 0 && (
        <ul class="chips" aria-label="Attachments to send">
          {pending.map((p) => (
            <Chip key={p.id} item={p} onRemove={() => {
              setPending((items) => items.filter((i) => i.id !== p.id));
              setReason("");
            }} />
          ))}
        </ul>
      )}
      <label class="sr-only" for="composer">Message</label>
      <textarea id="composer" ref={box} rows={2} aria-label="Message" value={text}
        placeholder={sms ? `Text ${store.numberName(conversation.external_number || "")}` : "Write a message"}
        aria-describedby={described || undefined}
        onInput={(e) => change(e.currentTarget.value)}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files || [])];
          if (files.length) {
            e.preventDefault();
            attach(files);
          }
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          } else if (e.key === "Escape") {
            document.querySelector<HTMLElement>('[aria-label="Conversations"] button[tabindex="0"]')?.focus();
          }
        }} />
      <div class="composer-actions">
        <button type="button" class="secondary" onClick={() => picker.current?.click()}>Attach</button>
        <input ref={picker} type="file" multiple hidden accept={acceptedTypes(limits, sms).join(",")} tabIndex={-1} aria-hidden="true"
          onChange={(e) => {
            attach([...(e.currentTarget.files || [])]);
            e.currentTarget.value = "";
          }} />
        <button type="submit" disabled={!canSend || offline}>Send</button>
      </div>
      <p id="attach-reason" class="attach-reason error" role="alert">{reason}</p>
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
