/**
 * The pages of the signed-in app, by URL hash (#/admin …). A page is a lazily loaded
 * module, so the employee app's bundle carries none of the others. The supervisor
 * page joins this list when the contact-center API exists.
 */
import type { ComponentType } from "preact";
import type { Api } from "./lib/api";
import type { User } from "./lib/types";

export interface PageDef {
  path: string;
  label: string;
  visible: (me: User) => boolean;
  /** Asked once after sign-in when visibility depends on the API (e.g. is the user an agent). */
  probe?: (api: Api) => Promise<boolean>;
  load: () => Promise<{ default: ComponentType }>;
}

export const PAGES: PageDef[] = [
  {
    path: "admin",
    label: "Admin",
    visible: (me) => me.role === "admin",
    load: () => import("./pages/admin"),
  },
  {
    // Written against the contract's contact-center routes; listed only when GET /agent
    // answers, i.e. where that API exists and the user is an agent.
    path: "agent",
    label: "Agent console",
    visible: () => true,
    probe: (api) => api.get("/agent").then(() => true, () => false),
    load: () => import("./pages/agent"),
  },
];

export function currentPath(): string {
  return location.hash.replace(/^#\/?/, "").split("?")[0] || "";
}
