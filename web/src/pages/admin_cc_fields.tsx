/**
 * The set-up forms' parts: a field with its label, hint and error element (every input
 * is described by its error through `aria-describedby` and marked `aria-invalid` while
 * it has one), skills with levels and opening hours as fieldsets, and the hook that
 * puts a form's errors (its own checks', or the API's refusal) beside their fields and
 * moves the focus to the first field in error.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/http";
import { DAYS, type Day, type DayHours, type FieldErrors, type Form, type SkillRow, fieldOfError } from "../lib/cc_setup_rules";

export const DAY_NAMES: Record<Day, string> = {
  mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday",
};
const LEVELS = [1, 2, 3, 4, 5];

export function skillRows(skills: Record<string, number>): SkillRow[] {
  return Object.entries(skills).map(([skill, level]) => ({ skill, level }));
}

/** The ids an input is described by: its hint (when it has one) and its error element. */
export function describedBy(id: string, hint?: boolean, also?: string): string {
  return [hint ? `${id}-hint` : "", `${id}-error`, also || ""].filter(Boolean).join(" ");
}

export function invalid(error: string | undefined): { "aria-invalid"?: "true" } {
  return error ? { "aria-invalid": "true" } : {};
}

export function FieldError({ id, error }: { id: string; error?: string }) {
  return <p id={`${id}-error`} class="field-error">{error || ""}</p>;
}

interface FieldProps {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string;
  hint?: string;
  required?: boolean;
  multiline?: boolean;
  inputMode?: "numeric" | "text";
  list?: string;
  disabled?: boolean;
}

/** A labelled text (or whole-number) input with its hint and its error. */
export function Field({ id, label, value, onValue, error, hint, required, multiline, inputMode, list, disabled }: FieldProps) {
  const common = {
    id,
    value,
    required,
    disabled,
    "aria-describedby": describedBy(id, !!hint),
    ...invalid(error),
    onInput: (e: Event) => onValue((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {multiline ? <textarea rows={2} {...common} /> : <input inputMode={inputMode} list={list} autocomplete="off" {...common} />}
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      <FieldError id={id} error={error} />
    </div>
  );
}

/** A labelled select with its error. */
export function Choice(props: {
  id: string; label: string; value: string; onValue: (value: string) => void; error?: string; hint?: string;
  children: ComponentChildren; disabled?: boolean;
}) {
  const { id, label, value, onValue, error, hint, children, disabled } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} aria-describedby={describedBy(id, !!hint)} {...invalid(error)}
        onChange={(e) => onValue(e.currentTarget.value)}>
        {children}
      </select>
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      <FieldError id={id} error={error} />
    </div>
  );
}

/** Skills with levels: a row per skill (name, level 1-5, remove), and "Add skill". */
export function SkillsEditor({ id, legend, rows, onRows, errors }: {
  id: string; legend: string; rows: SkillRow[]; onRows: (rows: SkillRow[]) => void; errors: FieldErrors;
}) {
  const set = (i: number, change: Partial<SkillRow>) => onRows(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <fieldset class="skills" aria-describedby={`${id}-error`}>
      <legend>{legend}</legend>
      {rows.length === 0 && <p class="hint">None.</p>}
      {rows.map((row, i) => {
        const rowId = `${id}-${i}`;
        const error = errors[`skills.${i}`] || errors.skills;
        return (
          <div class="skill-row" key={i}>
            <span class="pair">
              <label for={`${rowId}-name`}>Skill {i + 1}</label>
              <input id={`${rowId}-name`} value={row.skill} autocomplete="off" aria-describedby={describedBy(rowId, false, `${id}-error`)}
                {...invalid(error)} onInput={(e) => set(i, { skill: e.currentTarget.value })} />
            </span>
            <span class="pair">
              <label for={`${rowId}-level`}>Level of skill {i + 1}</label>
              <select id={`${rowId}-level`} value={String(row.level)} aria-describedby={`${rowId}-error`}
                onChange={(e) => set(i, { level: Number(e.currentTarget.value) })}>
                {LEVELS.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </span>
            <button type="button" class="secondary" aria-label={`Remove skill ${i + 1}${row.skill ? ` (${row.skill})` : ""}`}
              onClick={() => onRows(rows.filter((_, j) => j !== i))}>Remove</button>
            <FieldError id={rowId} error={errors[`skills.${i}`]} />
          </div>
        );
      })}
      <button type="button" class="secondary" onClick={() => onRows([...rows, { skill: "", level: 1 }])}>Add skill</button>
      <FieldError id={id} error={errors.skills} />
    </fieldset>
  );
}

export type Week = Record<Day, DayHours>;

/** Opening hours per weekday; "always open" stores no hours at all. */
export function HoursEditor({ id, alwaysOpen, onAlwaysOpen, week, onWeek, errors }: {
  id: string; alwaysOpen: boolean; onAlwaysOpen: (on: boolean) => void; week: Week; onWeek: (week: Week) => void; errors: FieldErrors;
}) {
  const set = (d: Day, change: Partial<DayHours>) => onWeek({ ...week, [d]: { ...week[d], ...change } });
  return (
    <fieldset class="hours" aria-describedby={`${id}-error`}>
      <legend>Opening hours</legend>
      <label class="check"><input type="checkbox" checked={alwaysOpen} onChange={(e) => onAlwaysOpen(e.currentTarget.checked)} /> Always open</label>
      {!alwaysOpen && (
        <>
        <ul class="plain hours-days">
          {DAYS.map((d) => {
            const dayId = `${id}-${d}`;
            const error = errors[`hours.${d}`] || (week[d].open ? errors.hours : undefined);
            const described = describedBy(dayId, false, `${id}-error`);
            return (
              <li key={d} class="day-row">
                <label class="check"><input type="checkbox" checked={week[d].open} aria-describedby={`${dayId}-error`}
                  onChange={(e) => set(d, { open: e.currentTarget.checked })} /> Open on {DAY_NAMES[d]}</label>
                <span class="pair">
                  <label for={`${dayId}-from`}><span class="sr-only">{DAY_NAMES[d]} </span>opens at</label>
                  <input id={`${dayId}-from`} type="time" value={week[d].from} disabled={!week[d].open} aria-describedby={described}
                    {...invalid(week[d].open ? error : undefined)} onInput={(e) => set(d, { from: e.currentTarget.value })} />
                </span>
                <span class="pair">
                  <label for={`${dayId}-to`}><span class="sr-only">{DAY_NAMES[d]} </span>closes at</label>
                  <input id={`${dayId}-to`} type="time" value={week[d].to} disabled={!week[d].open} aria-describedby={described}
                    {...invalid(week[d].open ? error : undefined)} onInput={(e) => set(d, { to: e.currentTarget.value })} />
                </span>
                <FieldError id={dayId} error={errors[`hours.${d}`]} />
              </li>
            );
          })}
        </ul>
        <p class="hint">Times are in the queue's time zone; closing at 00:00 is midnight.</p>
        </>
      )}
      <FieldError id={id} error={errors.hours} />
    </fieldset>
  );
}

/**
 * A form's errors and how they are shown: `check(found)` puts the form's own findings
 * beside their fields, `refused(error)` the API's refusal beside the field its code
 * names (or at the top of the form when it names none); either way the focus moves to
 * the first field in error, in the order the form shows them.
 */
export function useFormErrors(form: Form) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState("");
  const [tick, setTick] = useState(0);
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!tick || !ref.current) return;
    const first = ref.current.querySelector<HTMLElement>('[aria-invalid="true"]') || ref.current.querySelector<HTMLElement>(".form-error");
    first?.focus();
  }, [tick]);
  return {
    ref,
    errors,
    formError,
    clear() {
      setErrors({});
      setFormError("");
    },
    /** The form's own findings; true when there are none. */
    check(found: FieldErrors): boolean {
      setErrors(found);
      setFormError("");
      if (Object.keys(found).length === 0) return true;
      setTick((t) => t + 1);
      return false;
    },
    /** The API's refusal; `shown`: the fields this form has (another named field is the form's). */
    refused(error: unknown, shown?: string[]) {
      const code = error instanceof ApiError ? error.code : "";
      const message = (error as Error).message;
      const named = fieldOfError(form, code);
      const field = shown && !shown.includes(named) ? "" : named;
      setErrors(field ? { [field]: message } : {});
      setFormError(field ? "" : message);
      setTick((t) => t + 1);
    },
  };
}

export function FormError({ message }: { message: string }) {
  return message ? <p class="form-error error" role="alert" tabIndex={-1}>{message}</p> : null;
}
