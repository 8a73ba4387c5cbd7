/**
 * A modal dialog on the platform's <dialog>: focus stays inside while it is open, Escape
 * and a click outside close it, and focus goes back to what opened it.
 */
import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import "./conversation.css";

let counter = 0;

export function Dialog({ title, onClose, children, alert = false, wide = false }: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  alert?: boolean;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`dialog-${++counter}`);
  // before the first paint: the dialog is never drawn closed, and focus moves with it
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog ref={ref} class={`modal${wide ? " wide" : ""}`} role={alert ? "alertdialog" : undefined} aria-labelledby={id.current}
      onCancel={(e) => { e.preventDefault(); onClose(); }}
      onClick={(e) => { if (e.target === ref.current) onClose(); }}>
      <div class="modal-body">
        <h2 id={id.current}>{title}</h2>
        {children}
      </div>
    </dialog>
  );
}
