/**
 * The customer's consent in an SMS conversation: how they opted in (recorded by the
 * person who started the conversation, or recorded here), whether they opted out, and
 * a text the opt-out rules were not sure about, for a person to read.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { enc } from "../lib/api";
import { time } from "../lib/text";

interface ConsentView {
  opted_out: boolean;
  opted_in_how: string;
  recorded_at: string;
  review: { text: string; at: string } | null;
}

export function Consent({ conversationId }: { conversationId: string }) {
  const { api } = useApp();
  const [consent, setConsent] = useState<ConsentView | null>(null);
  const [how, setHow] = useState("");
  const [error, setError] = useState("");
  const path = `/conversations/${enc(conversationId)}/consent`;
  useEffect(() => {
    let current = true;
    setConsent(null);
    api.get<ConsentView>(path).then((c) => current && setConsent(c), (e) => current && setError(e.message));
    return () => { current = false; };
  }, [conversationId]);
  async function save(body: Record<string, unknown>) {
    try {
      setConsent(await api.put<ConsentView>(path, body));
      setError("");
    } catch (e) {
      setError((e as Error).message);
    }
  }
  if (!consent) return error ? <p class="error" role="alert">{error}</p> : null;
  return (
    <aside class="consent" aria-label="Consent">
      {consent.opted_out && <p><strong>Opted out:</strong> this customer replied STOP; texts to them are refused.</p>}
      {consent.opted_in_how ? (
        <p><strong>Opted in:</strong> {consent.opted_in_how}{consent.recorded_at && ` (recorded ${time(consent.recorded_at)})`}</p>
      ) : (
        <form class="inline-form" onSubmit={(e) => { e.preventDefault(); if (how.trim()) void save({ opted_in_how: how.trim() }); }}>
          <label for={`consent-${conversationId}`}>How did the customer opt in?</label>
          <input id={`consent-${conversationId}`} maxLength={500} value={how} onInput={(e) => setHow(e.currentTarget.value)} />
          <button type="submit">Record consent</button>
        </form>
      )}
      {consent.review && (
        <p role="status">
          <strong>May have asked to stop:</strong> “{consent.review.text}” — read it before texting them.{" "}
          <button type="button" class="link" onClick={() => void save({ review_done: true })}>Mark as read</button>
        </p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </aside>
  );
}
