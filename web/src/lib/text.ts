/** Small formatting helpers. */
import type { Entity } from "./types";

export interface Part {
  text: string;
  entity?: Entity;
}

/** Split a text at its entities. Offsets are Unicode code points (docs/api.md). */
export function splitEntities(text: string, entities: Entity[] = []): Part[] {
  const points = Array.from(text);
  const parts: Part[] = [];
  let at = 0;
  for (const entity of [...entities].sort((a, b) => a.start - b.start)) {
    if (entity.start < at || entity.end > points.length) continue;
    if (entity.start > at) parts.push({ text: points.slice(at, entity.start).join("") });
    parts.push({ text: points.slice(entity.start, entity.end).join(""), entity });
    at = entity.end;
  }
  if (at < points.length) parts.push({ text: points.slice(at).join("") });
  return parts;
}

// Formatters are built once: toLocale*String builds a new one per call, which is slow
// enough to show when a list renders many rows in one frame.
const TIME = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" });
const DAY = new Intl.DateTimeFormat([], { month: "short", day: "numeric" });

export function time(iso: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? TIME.format(d) : DAY.format(d);
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
}

export function bytes(size: number): string {
  return size > 1e6 ? `${(size / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(size / 1e3))} KB`;
}

/** A phone number as typed (digits, spaces, dashes, parentheses, a leading +). */
export function looksLikePhone(value: string): boolean {
  return /^\+?[\d\s().-]{7,}$/.test(value.trim()) && value.replace(/\D/g, "").length >= 7;
}

export const STATUS_LABELS: Record<string, string> = {
  available: "Available",
  busy: "Busy",
  dnd: "Do not disturb",
  away: "Away",
  offline: "Offline",
};
