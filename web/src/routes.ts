/**
 * The pages of the signed-in app, by URL hash (#/admin …). A page is a lazily loaded
 * module, so the employee app's bundle carries none of the others. The agent console
 * and the supervisor page join this list when the contact-center API exists.
 */
import type { ComponentType } from "preact";
import type { User } from "./lib/types";

export interface PageDef {
  path: string;
  label: string;
  visible: (me: User) => boolean;
  load: () => Promise<{ default: ComponentType }>;
}

export const PAGES: PageDef[] = [
  {
    path: "admin",
    label: "Admin",
    visible: (me) => me.role === "admin",
    load: () => import("./pages/admin"),
  },
];

export function currentPath(): string {
  return location.hash.replace(/^#\/?/, "").split("?")[0] || "";
}
