/** A QR code drawn in the page (SVG) from the text, by the pinned ``uqr`` encoder:
 * the secret it carries never leaves the browser for a third-party image service.
 * The encoder is loaded only when a QR code is shown (its own chunk). */
import { useEffect, useState } from "preact/hooks";

interface Drawn {
  path: string;
  modules: number;
}

export function QrCode({ text, label, size = 184 }: { text: string; label: string; size?: number }) {
  const [drawn, setDrawn] = useState<Drawn | null>(null);
  useEffect(() => {
    let live = true;
    void import("uqr").then(({ encode }) => {
      const { data, size: modules } = encode(text, { ecc: "M", border: 2 });
      let path = "";
      data.forEach((row, y) =>
        row.forEach((dark, x) => {
          if (dark) path += `M${x} ${y}h1v1h-1z`;
        }),
      );
      if (live) setDrawn({ path, modules });
    });
    return () => {
      live = false;
    };
  }, [text]);
  const modules = drawn?.modules || 1;
  return (
    <svg class="qr" role="img" aria-label={label} width={size} height={size}
      viewBox={`0 0 ${modules} ${modules}`} shape-rendering="crispEdges">
      <rect width={modules} height={modules} fill="#fff" />
      {drawn && <path d={drawn.path} fill="#000" />}
    </svg>
  );
}
