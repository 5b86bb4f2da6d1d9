import type { App } from "../app";
import { ApiError } from "../api/http";
import type { CredentialDocument } from "../api/types";
import { field, h, message } from "../ui/dom";
import { formatDateTime } from "../ui/format";
import { documentFileProblem, documentTypes, formatSize } from "../ui/documentFile";

/**
 * The doctor's credential documents (CRM, an ID with photo): what the team checks before patients can book. Sent
 * from here, one file at a time, and listed as the team sees them.
 */
export function documentsCard(app: App): { card: HTMLElement; load: () => Promise<void>; verified: (verified: boolean) => void } {
  const list = h("ul", { class: "documents", "data-testid": "my-documents", "aria-busy": "true" });
  const status = h("div", { role: "status", "aria-live": "polite", "data-testid": "document-status" });
  const input = h("input", { type: "file", name: "document", accept: documentTypes.join(","), "data-testid": "document-file" });
  const send = h("button", { type: "submit", class: "primary", "data-testid": "document-send" }, "Enviar documento");

  const load = async () => {
    list.setAttribute("aria-busy", "true");
    try {
      const documents = await app.http.get<CredentialDocument[]>("/api/v1/identity/doctors/me/documents");
      list.replaceChildren(...(documents.length === 0
        ? [h("li", { class: "muted" }, "Nenhum documento enviado ainda.")]
        : documents.map((d) => h("li", { "data-testid": "my-document" },
          h("strong", {}, d.fileName), ` · ${formatSize(d.sizeBytes)} · enviado em ${formatDateTime(d.uploadedAt)}`))));
    } catch (e) {
      list.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível listar seus documentos."));
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  };

  const form = h("form", {
    onsubmit: async (event: Event) => {
      event.preventDefault();
      const file = input.files?.[0];
      if (!file) {
        status.replaceChildren(message("error", "Escolha o arquivo do documento."));
        return;
      }

      const problem = documentFileProblem(file);
      if (problem) {
        status.replaceChildren(message("error", problem));
        return;
      }

      send.disabled = true;
      status.replaceChildren(message("info", `Enviando "${file.name}"...`));
      try {
        await app.http.upload(`/api/v1/identity/doctors/me/documents?name=${encodeURIComponent(file.name)}`, file);
        status.replaceChildren(message("success", `Documento "${file.name}" enviado. A equipe vai analisá-lo.`));
        input.value = "";
        await load();
      } catch (e) {
        status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível enviar o documento. Verifique a conexão e tente de novo."));
      } finally {
        send.disabled = false;
      }
    },
  }, field("Arquivo (PDF, PNG ou JPEG, até 10 MB)", input), send);

  const title = h("h2", {}, "Documentos para verificação");
  const intro = h("p", { class: "muted", "data-testid": "documents-intro" },
    "Envie a carteira do CRM e um documento com foto. A equipe confere antes de liberar sua agenda aos pacientes.");
  const card = h("div", { class: "card", "data-testid": "documents-card" }, title, intro, list, form, status);

  /** A verified doctor is not asked to send what the team already checked; the card stays for a renewed document. */
  const verified = (isVerified: boolean) => {
    if (!isVerified) return;
    title.textContent = "Documentos";
    intro.textContent = "Seu CRM foi confirmado pela equipe e sua agenda está visível aos pacientes. " +
      "Se um documento mudar (uma carteira renovada, por exemplo), envie a nova versão aqui.";
  };
  return { card, load, verified };
}
