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
  "application/pdf": "PDF",
};

export interface Pending {
  id: string;
  file: File;
  key?: string; // the upload key once uploaded
  error?: string;
}

/** The reason the files cannot be sent as they are, or "" when they can. */
export function attachReason(
  files: File[],
  limits: MediaLimits,
  sms: { to: string; from: string } | null,
): string {
  if (!files.length) return "";
  const names = limits.types.map((t) => TYPE_NAMES[t] || t).join(", ");
  for (const file of files) {
    if (!limits.types.includes(file.type)) {
      return `${file.name || "This file"} cannot be sent: only ${names} files can be attached.`;
    }
    if (file.size === 0) return `${file.name || "This file"} is empty.`;
  }
  if (files.length > limits.max_files) return `At most ${limits.max_files} files can go in one message.`;
  const max = sms ? limits.mms_max_bytes : limits.im_max_bytes;
  const big = files.find((f) => f.size > max);
  if (big) return `${big.name || "This file"} is ${bytes(big.size)}: the limit is ${bytes(max)}${sms ? " for a text (MMS)" : ""}.`;
  if (sms) {
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total > max) return `These files come to ${bytes(total)}: a text (MMS) carries at most ${bytes(max)} in all.`;
    const codes = new Set(limits.mms_countries.map((c) => CALLING_CODES[c]).filter(Boolean));
    const reaches = (e164: string) => [...codes].some((code) => e164.startsWith(`+${code}`));
    if (!reaches(sms.to)) return `Pictures and files cannot be texted to ${sms.to}: MMS reaches only ${limits.mms_countries.join(", ")} numbers.`;
    if (!reaches(sms.from)) return `${sms.from} cannot text pictures or files (MMS works from ${limits.mms_countries.join(", ")} numbers).`;
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

/** The files an event carries (drop or paste), without directories or text. */
export function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  return [...data.files].filter((f) => f.type !== "");
}
