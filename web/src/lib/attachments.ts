/**
 * What may be attached before anything is uploaded: the types, sizes and count the
 * server enforces (GET /media/limits), and for a text the MMS rules (size of the whole
 * message, only to the countries MMS reaches). The server checks again; this only says
 * the reason sooner, beside the compose box.
 */
import type { MediaLimits } from "./conversation_api";
import { bytes } from "./text";

// Calling codes of the regions the limits name (MMS is a North American service here).
const CALLING_CODES: Record<string, string> = { US: "1", CA: "1", PR: "1", GB: "44", AU: "61" };

const TYPE_NAMES: Record<string, string> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/webp": "WebP",
  "application/pdf": "PDF",
};

export interface Pending {
  id: string;
  file: File;
  key?: string; // the upload key once uploaded
  error?: string;
}

/** The types the picker offers and a message of this channel may carry. */
export function acceptedTypes(limits: MediaLimits, sms: boolean): string[] {
  return sms ? limits.sms.content_types : limits.im.content_types;
}

/** The reason the files cannot be sent as they are, or "" when they can. `sms`: the
 * conversation's numbers when it is a text (an MMS). */
export function attachReason(
  files: File[],
  limits: MediaLimits,
  sms: { to: string; from: string } | null,
): string {
  if (!files.length) return "";
  const rules = sms ? limits.sms : limits.im;
  if (sms && !limits.sms.enabled) return "Pictures and files cannot be texted here: MMS is switched off.";
  const names = rules.content_types.map((t) => TYPE_NAMES[t] || t).join(", ");
  for (const file of files) {
    const name = file.name || "This file";
    // A browser gives no type to what it cannot tell (a folder, a file without a known
    // extension): refused aloud, never dropped without a word.
    if (!file.type) return `${name} cannot be sent: its kind of file is unknown; only ${names} files can be attached.`;
    if (!rules.content_types.includes(file.type)) return `${name} cannot be sent: only ${names} files can be attached${sms ? " to a text" : ""}.`;
    if (file.size === 0) return `${name} is empty.`;
  }
  if (files.length > rules.max_items) return `At most ${rules.max_items} files can go in one message.`;
  const max = rules.max_bytes;
  const big = files.find((f) => f.size > max);
  if (big) return `${big.name || "This file"} is ${bytes(big.size)}: the limit is ${bytes(max)}${sms ? " for a text (MMS)" : ""}.`;
  if (sms) {
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total > max) return `These files come to ${bytes(total)}: a text (MMS) carries at most ${bytes(max)} in all.`;
    const countries = limits.sms.countries;
    const codes = new Set(countries.map((c) => CALLING_CODES[c]).filter(Boolean));
    const reaches = (e164: string) => [...codes].some((code) => e164.startsWith(`+${code}`));
    if (!reaches(sms.to)) return `Pictures and files cannot be texted to ${sms.to}: MMS reaches only ${countries.join(", ")} numbers.`;
    if (!reaches(sms.from)) return `${sms.from} cannot text pictures or files (MMS works from ${countries.join(", ")} numbers).`;
  }
  return "";
}

/** An image pasted from the clipboard has no useful name ("image.png"): give it one. */
export function named(file: File): File {
  if (file.name && file.name !== "image.png") return file;
  const ext = file.type.split("/")[1] || "bin";
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new File([file], `pasted-${stamp}.${ext === "jpeg" ? "jpg" : ext}`, { type: file.type });
}

/** The files an event carries (drop or paste): every one, even of no known type
 * (attachReason then says why it cannot go). */
export function filesOf(data: DataTransfer | null): File[] {
  return data ? [...data.files] : [];
}
