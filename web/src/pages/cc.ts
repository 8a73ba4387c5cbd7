/** The contact center's objects (lib/cc_types.ts) and how the pages show them. */
export type {
  Agent,
  AgentChannel,
  Queue,
  Case,
  PastInteraction,
  Customer,
  Interaction,
  Canned,
  DayFigures,
  QueueStats,
} from "../lib/cc_types";

/** "2 min 05 s" from seconds. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
