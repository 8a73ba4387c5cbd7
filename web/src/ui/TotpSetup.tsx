/**
 * Setting up an authenticator app: the QR code of the ``otpauth://`` URI, the secret as
 * text for typing or copying, and the first code, which proves the app is set up. Used
 * by the sign-in's MFA_SETUP challenge and by the profile panel.
 */
import { useState } from "preact/hooks";
import { otpauthUri } from "../lib/auth";
import { QrCode } from "./QrCode";

export function TotpSetup({
  username,
  secret,
  busy,
  onVerify,
  onCancel,
}: {
  username: string;
  secret: string;
  busy: boolean;
  onVerify: (code: string) => void;
  onCancel?: () => void;
}) {
  const [code, setCode] = useState("");
  const [copied, setCopied] = useState(false);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (an insecure origin): the key is on screen to type
    }
  }

  return (
    <form class="totp-setup" onSubmit={(e) => { e.preventDefault(); onVerify(code); }}>
      <p>
        Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password…),
        then enter the 6-digit code it shows.
      </p>
      <QrCode text={otpauthUri(username, secret)} label="QR code for your authenticator app" />
      <label for="totp-secret">Cannot scan it? Enter this secret key in the app instead</label>
      <div class="row">
        <input id="totp-secret" class="secret" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="secondary" onClick={copy}>{copied ? "Copied" : "Copy key"}</button>
      </div>
      <label for="totp-setup-code">Authentication code</label>
      <input id="totp-setup-code" name="totp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
        maxLength={6} required value={code} onInput={(e) => setCode(e.currentTarget.value.replace(/\D/g, ""))} />
      <div class="row">
        <button type="submit" disabled={busy}>Verify</button>
        {onCancel && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
