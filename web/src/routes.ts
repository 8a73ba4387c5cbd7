/**
 * The pages of the signed-in app, by URL hash (#/admin …). A page is a lazily loaded
 * module, so the employee app's bundle carries none of the others.
 */
import type { ComponentType } from "preact";
import type { Api } from "./lib/api";
import type { User } from "./lib/types";

export interface PageDef {
  path: string;
  label: string;
  visible: (me: User) => boolean;
  /** Asked once after sign-in when visibility depends on the API (e.g. is the user an agent). */
  probe?: (api: Api, me: User) => Promise<boolean>;
  load: () => Promise<{ default: ComponentType }>;
}

export const PAGES: PageDef[] = [
  {
    // Everyone's personal contacts (several numbers, email, company).
    path: "contacts",
    label: "Contacts",
    visible: () => true,
    load: () => import("./pages/contacts"),
  },
  {
    path: "admin",
    label: "Admin",
    visible: (me) => me.role === "admin",
    load: () => import("./pages/admin"),
  },
  {
    // Listed for whoever routing offers interactions to: agents, and supervisors whose
    // routing profile lists queues (GET /agent answers their role and queues).
    path: "agent",
    label: "Agent console",
    visible: () => true,
    probe: (api) =>
      api.get<{ role: string; queues?: string[] }>("/agent").then((a) => a.role !== "supervisor" || (a.queues?.length ?? 0) > 0, () => false),
    load: () => import("./pages/agent"),
  },
  {
    // Supervisors (GET /agent with role "supervisor") and admins of a company with queues.
    path: "supervisor",
    label: "Queues",
    visible: () => true,
    probe: (api, me) =>
      me.role === "admin"
        ? api.get<{ items: unknown[] }>("/queues").then((p) => p.items.length > 0, () => false)
        : api.get<{ role: string }>("/agent").then((a) => a.role === "supervisor", () => false),
    load: () => import("./pages/supervisor"),
  },
];

export function currentPath(): string {
  return location.hash.replace(/^#\/?/, "").split("?")[0] || "";
}
