/**
 * The contact center's set-up forms, checked in the browser by the API's own rules.
 *
 * `RULES` is the API's field tables (`chalicelib/api/contact_center_bodies.py`) row for
 * row; `tests/build/test_cc_setup_rules.py` reads both and fails when they differ. The
 * checks here only spare a round trip for what the API is certain to refuse: the API
 * stays the judge, and its answer (`error.code`, `error.message`) is shown beside the
 * field the code names (`fieldOfError`). A time zone is checked by its pattern only: the
 * browser's time-zone database is not the server's.
 *
 * No imports, so the unit tests run it under Node as it is.
 */

export type Kind = "text" | "whole" | "flag" | "list" | "map" | "text_map";

export interface Rule {
  kind: Kind;
  code: string;
  required: boolean;
  max_len?: number;
  min_len?: number;
  pattern?: string | null;
  minimum?: number;
  maximum?: number;
  max_items?: number;
  choices?: string[];
}

export type Form = "queue" | "channel" | "agent" | "canned";
export type Rules = Record<Form, Record<string, Rule>>;

export const RULES: Rules = {
  "queue": {
    "name": {"kind": "text", "code": "invalid_name", "required": true, "max_len": 100, "min_len": 0, "pattern": "^[^\\x00-\\x1f\\x7f]*[^\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\x00-\\x1f\\x7f][^\\x00-\\x1f\\x7f]*$", "choices": []},
    "skills": {"kind": "map", "code": "invalid_skills", "required": false, "max_len": 40, "pattern": "^[a-z0-9][a-z0-9_-]*$", "minimum": 1, "maximum": 5, "max_items": 50},
    "priority": {"kind": "whole", "code": "invalid_priority", "required": false, "minimum": 1, "maximum": 100},
    "timezone": {"kind": "text", "code": "invalid_timezone", "required": false, "max_len": 64, "min_len": 0, "pattern": "^[A-Za-z][A-Za-z0-9_+/-]*$", "choices": []},
    "hours": {"kind": "text_map", "code": "invalid_hours", "required": false, "max_len": 11, "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", "max_items": 7, "choices": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
    "closed_message": {"kind": "text", "code": "invalid_closed_message", "required": false, "max_len": 1600, "min_len": 0, "pattern": null, "choices": []},
    "entry_message": {"kind": "text", "code": "invalid_entry_message", "required": false, "max_len": 1600, "min_len": 0, "pattern": null, "choices": []},
    "full_message": {"kind": "text", "code": "invalid_full_message", "required": false, "max_len": 1600, "min_len": 0, "pattern": null, "choices": []},
    "offer_timeout_s": {"kind": "whole", "code": "invalid_offer_timeout_s", "required": false, "minimum": 5, "maximum": 600},
    "auto_accept": {"kind": "flag", "code": "invalid_auto_accept", "required": false},
    "idle_after_s": {"kind": "whole", "code": "invalid_idle_after_s", "required": false, "minimum": 0, "maximum": 86400},
    "wrap_up_s": {"kind": "whole", "code": "invalid_wrap_up_s", "required": false, "minimum": 0, "maximum": 900},
    "service_level_s": {"kind": "whole", "code": "invalid_service_level_s", "required": false, "minimum": 1, "maximum": 86400},
    "abandon_after_s": {"kind": "whole", "code": "invalid_abandon_after_s", "required": false, "minimum": 1, "maximum": 604800},
    "last_agent_window_s": {"kind": "whole", "code": "invalid_last_agent_window_s", "required": false, "minimum": 0, "maximum": 2592000},
    "overflow_after_s": {"kind": "whole", "code": "invalid_overflow_after_s", "required": false, "minimum": 0, "maximum": 86400},
    "overflow_level": {"kind": "whole", "code": "invalid_overflow_level", "required": false, "minimum": 1, "maximum": 5},
    "overflow_queue_id": {"kind": "text", "code": "invalid_overflow_queue_id", "required": false, "max_len": 256, "min_len": 0, "pattern": null, "choices": []},
    "max_waiting": {"kind": "whole", "code": "invalid_max_waiting", "required": false, "minimum": 0, "maximum": 1000}
  },
  "channel": {
    "queue_id": {"kind": "text", "code": "invalid_queue_id", "required": true, "max_len": 256, "min_len": 1, "pattern": null, "choices": []}
  },
  "agent": {
    "skills": {"kind": "map", "code": "invalid_skills", "required": false, "max_len": 40, "pattern": "^[a-z0-9][a-z0-9_-]*$", "minimum": 1, "maximum": 5, "max_items": 50},
    "queues": {"kind": "list", "code": "invalid_queues", "required": false, "max_len": 256, "max_items": 100},
    "role": {"kind": "text", "code": "invalid_role", "required": false, "max_len": 32, "min_len": 0, "pattern": null, "choices": ["agent", "supervisor"]},
    "max_concurrent": {"kind": "whole", "code": "invalid_max_concurrent", "required": false, "minimum": 1, "maximum": 10}
  },
  "canned": {
    "shortcut": {"kind": "text", "code": "invalid_shortcut", "required": false, "max_len": 40, "min_len": 0, "pattern": null, "choices": []},
    "title": {"kind": "text", "code": "invalid_title", "required": false, "max_len": 200, "min_len": 0, "pattern": null, "choices": []},
    "text": {"kind": "text", "code": "invalid_text", "required": true, "max_len": 1600, "min_len": 0, "pattern": "[^\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]", "choices": []},
    "queues": {"kind": "list", "code": "invalid_queues", "required": false, "max_len": 256, "max_items": 20}
  }
}; // end of RULES

/** A queue's or a canned reply's id in the URL (services/contact_center/admin.py `_id`). */
export const ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];
/** A skill (domain/contact_center_config.py): lowercase, at most 40. */
const SKILL_MAX = 40;

/** What a form says is wrong: field name (or `hours.mon`, `skills.2`) → message. */
export type FieldErrors = Record<string, string>;

/** Characters as the API counts them (code points, not UTF-16 units). */
export function length(value: string): number {
  return [...value].length;
}

function matches(pattern: string, value: string): boolean {
  return new RegExp(pattern).test(value);
}

/** One text by its row: the message the API would answer (its wording), or "". */
export function checkText(rule: Rule, name: string, value: string): string {
  if (value === "") return rule.required ? `${name} is required` : "";
  if (rule.max_len !== undefined && length(value) > rule.max_len) {
    return `${name} must be text of at most ${rule.max_len} characters`;
  }
  if (rule.min_len && length(value) < rule.min_len) return `${name} must be at least ${rule.min_len} characters`;
  if (rule.pattern && !matches(rule.pattern, value)) {
    return rule.pattern.includes("\\u3000") ? `${name} must not be blank or hold control characters` : `${name} is not in the accepted form`;
  }
  if (rule.choices?.length && !rule.choices.includes(value)) return `${name} must be one of ${rule.choices.join(", ")}`;
  return "";
}

/** A whole number typed in a field ("" is "not given"): the API's message, or "". */
export function checkWhole(rule: Rule, name: string, typed: string): string {
  if (typed.trim() === "") return rule.required ? `${name} is required` : "";
  const value = Number(typed);
  const lo = rule.minimum ?? 0;
  const hi = rule.maximum ?? Number.MAX_SAFE_INTEGER;
  if (!/^\s*\d+\s*$/.test(typed) || value < lo || value > hi) return `${name} must be a whole number from ${lo} to ${hi}`;
  return "";
}

export interface SkillRow {
  skill: string;
  level: number;
}

/** Skills with levels: each row's error under `skills.<index>`, the table's under `skills`. */
export function checkSkills(rows: SkillRow[], errors: FieldErrors, rule: Rule): void {
  if (rows.length > (rule.max_items ?? 50)) errors.skills = `at most ${rule.max_items} skills`;
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const name = row.skill;
    if (!name || length(name) > SKILL_MAX || !matches(rule.pattern || "", name)) {
      errors[`skills.${i}`] = `a skill is 1-${SKILL_MAX} lowercase letters, digits, - or _, starting with a letter or digit`;
    } else if (seen.has(name)) {
      errors[`skills.${i}`] = `${name} is listed twice`;
    } else if (!(row.level >= (rule.minimum ?? 1) && row.level <= (rule.maximum ?? 5))) {
      errors[`skills.${i}`] = `the level of ${name} must be ${rule.minimum}-${rule.maximum}`;
    }
    seen.add(name);
  });
}

export interface DayHours {
  open: boolean;
  from: string; // HH:MM
  to: string; // HH:MM; "24:00" or "00:00" closes at midnight
}

/** "HH:MM-HH:MM" as the API stores it; closing at 00:00 is midnight (24:00). */
export function span(day: DayHours): string {
  return `${day.from}-${day.to === "00:00" ? "24:00" : day.to}`;
}

/** Each open day's span by the API's pattern, and opening before closing. */
export function checkHours(days: Record<Day, DayHours>, errors: FieldErrors, rule: Rule): void {
  for (const d of DAYS) {
    if (!days[d].open) continue;
    const text = span(days[d]);
    if (!matches(rule.pattern || "", text)) errors[`hours.${d}`] = "opening and closing are times HH:MM";
    else if (text.slice(0, 5) >= text.slice(6)) errors[`hours.${d}`] = "opening must be before closing";
  }
}

/**
 * The field an API error names: `invalid_<field>` for a field of the form, and the few
 * codes that name the thing a field refers to. Anything else is the form's own (`""`).
 */
export function fieldOfError(form: Form, code: string): string {
  const refers: Record<Form, Record<string, string>> = {
    queue: { queue_not_found: "overflow_queue_id", invalid_queue_id: "queue_id" },
    channel: { queue_not_found: "queue_id", number_not_found: "e164", invalid_e164: "e164" },
    agent: { queue_not_found: "queues", user_not_found: "user_id" },
    canned: { invalid_reply_id: "reply_id", queue_not_found: "queues" },
  };
  if (refers[form][code]) return refers[form][code];
  const named = code.startsWith("invalid_") ? code.slice("invalid_".length) : "";
  return named && named in RULES[form] ? named : "";
}

/** A new queue's or canned reply's id already in use (the API would overwrite it: a PUT
 * by id is a create-or-replace), as the message beside the field; "" when it is free. */
export function checkNewId(id: string, taken: Iterable<string>, what: string): string {
  for (const existing of taken) {
    if (existing === id) return `A ${what} with the ID ${id} already exists: choose another ID, or edit that ${what}.`;
  }
  return "";
}

// Offered when the browser cannot list its time zones (Intl.supportedValuesOf is missing
// from Safari before 15.4 and other older engines): the API accepts any IANA name typed.
const COMMON_ZONES = [
  "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
  "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver", "Europe/London",
  "Europe/Paris", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney",
];

/** The time zones a queue's form suggests: the browser's own list when it has one. */
export function timeZones(intl: { supportedValuesOf?: (key: "timeZone") => string[] } = Intl): string[] {
  let listed: string[] = [];
  try {
    listed = typeof intl.supportedValuesOf === "function" ? intl.supportedValuesOf("timeZone") : [];
  } catch {
    listed = [];
  }
  const zones = listed.length ? listed : COMMON_ZONES;
  return ["UTC", ...zones.filter((z) => z !== "UTC")];
}
