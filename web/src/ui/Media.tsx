/**
 * Pictures and files in a message: a picture is a thumbnail whose accessible name is
 * its file name ("Picture" when it has none, as most inbound MMS), opening full size
 * in a dialog; any other file is a download link with its name and size. Links come
 * from GET …/media/{index} (15 minutes). A picture's bytes are fetched with
 * `cache: "no-store"` and shown from memory (a blob URL, revoked when it goes), so no
 * one's pictures stay in the browser's HTTP cache after they sign out.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { enc } from "../lib/api";
import type { MediaItem } from "../lib/conversation_api";
import { bytes } from "../lib/text";
import type { Message } from "../lib/types";
import { Dialog } from "./Dialog";

const KINDS: Record<string, string> = { "application/pdf": "PDF document" };

export function mediaName(media: MediaItem): string {
  if (media.filename) return media.filename;
  return media.content_type.startsWith("image/") ? "Picture" : KINDS[media.content_type] || "File";
}

/** Resolves once the picture at `url` is decoded (or cannot be: it then shows as the
 * browser shows a broken picture). */
function decoded(url: string): Promise<void> {
  const probe = new Image();
  probe.src = url;
  return probe.decode().catch(() => undefined);
}

export function MediaView({ message, media }: { message: Message; media: MediaItem }) {
  const { api } = useApp();
  const [link, setLink] = useState<{ url: string; content_type: string } | null>(null);
  const [shown, setShown] = useState(""); // a picture's bytes, held in memory
  const [error, setError] = useState("");
  const [open, setOpen] = useState(false);
  const picture = media.content_type.startsWith("image/");
  useEffect(() => {
    if (message.pending) return;
    let gone = false;
    let blob = "";
    api.get<{ url: string; content_type: string }>(
      `/conversations/${enc(message.conversation_id)}/messages/${enc(message.id)}/media/${media.index}`,
    ).then(async (found) => {
      if (picture) {
        const bytes = await fetch(found.url, { cache: "no-store" });
        if (!bytes.ok) throw new Error(`HTTP ${bytes.status}`);
        blob = URL.createObjectURL(await bytes.blob());
        // shown once decoded, at its own size from the first frame: a thumbnail that grew
        // from its alt text to the picture moved under a pointer about to click it
        await decoded(blob);
        if (gone) URL.revokeObjectURL(blob);
        else setShown(blob);
      }
      if (!gone) setLink(found);
    }).catch((e) => !gone && setError((e as Error).message));
    return () => {
      gone = true;
      if (blob) URL.revokeObjectURL(blob);
    };
  }, [message.id, message.pending, media.index]);
  const name = mediaName(media);
  if (message.pending) return <span class="media file">{name} ({bytes(media.size)}) · sending</span>;
  if (error) return <span class="media error">{name}: attachment unavailable</span>;
  if (!link) return <span class="media file">Loading {name}…</span>;
  if (!picture) {
    return (
      <a class="media file" href={link.url} download={media.filename || undefined} target="_blank" rel="noopener noreferrer">
        <span aria-hidden="true">📄 </span>{name} ({bytes(media.size)})
      </a>
    );
  }
  return (
    <>
      <a class="thumb" href={link.url} aria-haspopup="dialog" onClick={(e) => { e.preventDefault(); setOpen(true); }}>
        <img class="media" src={shown} alt={name} />
      </a>
      {open && (
        <Dialog title={name} wide onClose={() => setOpen(false)}>
          <img class="full" src={shown} alt={name} />
          <div class="row">
            <a class="button secondary" href={link.url} download={media.filename || undefined} target="_blank" rel="noopener noreferrer">
              Download ({bytes(media.size)})
            </a>
            <button type="button" data-autofocus onClick={() => setOpen(false)}>Close</button>
          </div>
        </Dialog>
      )}
    </>
  );
}
