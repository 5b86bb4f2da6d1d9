import type { App } from "../app";
import { ApiError } from "../api/http";
import { field, h, message, mount } from "../ui/dom";
import { describeAccess, describePurpose } from "../ui/auditLabels";
import { browserTimeZone, formatDateTime, formatTime } from "../ui/format";
import { groupAccesses } from "../ui/accessGroups";
import { poller } from "../ui/poll";

interface Consent {
  type: string;
  version: string;
  granted: boolean;
  recordedAt: string;
}

const consentTexts: Record<string, { title: string; text: string }> = {
  telemedicine: {
    title: "Atendimento por telemedicina",
    text: "Concordo em ser atendido(a) por videochamada, ciente das limitações do atendimento a distância (Resolução CFM nº 2.314/2022). Sem este consentimento não é possível agendar nem entrar em consultas, e revogá-lo encerra a chamada em andamento.",
  },
  dataProcessing: {
    title: "Tratamento de dados pessoais",
    text: "Concordo com o tratamento dos meus dados pessoais e de saúde para a prestação do atendimento, conforme a LGPD (Lei nº 13.709/2018).",
  },
};

/** What taking a consent back stops at once, asked before it is done. */
const revokeWarnings: Record<string, string> = {
  telemedicine: "Revogar este consentimento encerra na hora uma consulta em andamento e impede novos agendamentos e chamadas até você concedê-lo de novo. Revogar?",
};

interface AccessItem {
  at: string;
  actorId: string | null;
  actorName: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  purpose: string | null;
}

interface ExportStatus {
  exportId: string;
  status: "pending" | "building" | "ready" | "failed" | "expired";
  requestedAt: string;
  expiresAt: string | null;
  downloadUrl: string | null;
}

interface ErasureReport {
  modules: { category: string; anonymized: string[]; retained: { data: string; reason: string; retention: string }[] }[];
}

const roleNames: Record<string, string> = { doctor: "Médico(a)", admin: "Administração", patient: "Paciente", system: "Sistema" };
const exportStatusNames: Record<ExportStatus["status"], string> = {
  pending: "Na fila", building: "Preparando", ready: "Pronta", failed: "Falhou", expired: "Expirada",
};

/**
 * Privacidade: consents, export (portability), erasure (LGPD art. 18) and who accessed my data. Every block has its
 * final size before its data arrives and the access report, whose length varies, comes last: nothing moves under the
 * patient's finger while the page loads (a tap on "Exportar meus dados" used to land beside it).
 */
export async function renderPrivacy(app: App): Promise<void> {
  // Telemedicine is the patient's consent to be attended by video: a doctor or an admin is not asked for it.
  const shown = Object.entries(consentTexts).filter(([type]) => type !== "telemedicine" || app.user?.role === "patient");
  const blocks = shown.map(([type, { title, text }]) => {
    const state = h("p", { class: "muted" }, "Carregando...");
    const toggle = h("button", { type: "button", class: "primary", "data-testid": `consent-${type}-toggle`, disabled: true }, "Concordo");
    const block = h("div", { class: "consent", "data-testid": `consent-${type}`, "data-granted": "" }, h("h3", {}, title), h("p", {}, text), state, toggle);
    return { type, block, state, toggle };
  });
  const root = mount("privacidade",
    h("div", { class: "card" }, h("h1", {}, "Privacidade"), h("h2", {}, "Consentimentos"), h("div", { class: "consents" }, ...blocks.map((b) => b.block))),
    exportCard(app), erasureCard(app, showErased), accessReportCard(app));
  const load = async () => {
    const current = await app.http.get<Consent[]>("/api/v1/privacy/consents");
    for (const { type, block, state, toggle } of blocks) {
      const consent = current.find((c) => c.type === type);
      const granted = consent?.granted ?? false;
      block.dataset["granted"] = String(granted);
      state.textContent = consent
        ? `${granted ? "Concedido" : "Revogado"} em ${formatDateTime(consent.recordedAt)} (versão ${consent.version})`
        : "Ainda não respondido.";
      toggle.className = granted ? "danger" : "primary";
      toggle.textContent = granted ? "Revogar" : "Concordo";
      toggle.disabled = false;
      toggle.onclick = async () => {
        if (granted && revokeWarnings[type] && !window.confirm(revokeWarnings[type])) return;
        toggle.disabled = true;
        try {
          await app.http.post("/api/v1/privacy/consents", { type, granted: !granted });
          await load();
        } catch (e) {
          toggle.disabled = false;
          state.textContent = e instanceof ApiError ? e.message : "Não foi possível salvar.";
        }
      };
    }
  };
  try {
    await load();
  } catch (e) {
    root.append(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar."));
  }
}

function accessReportCard(app: App): HTMLElement {
  const rows = h("tbody", { role: "rowgroup" });
  const card = h("div", { class: "card" }, h("h2", {}, "Quem acessou meus dados"),
    h("table", { class: "stacked", role: "table", "data-testid": "access-report" },
      h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, ...["Quando", "Quem", "O quê", "Por quê"].map((name) => h("th", { role: "columnheader" }, name)))),
      rows));
  void app.http.get<{ accesses: AccessItem[] }>("/api/v1/privacy/access-report").then((report) => {
    rows.replaceChildren(...(report.accesses.length === 0
      ? [h("tr", { role: "row" }, h("td", { role: "cell", colspan: "4", class: "muted" }, "Ninguém além de você acessou seus dados no último ano."))]
      : groupAccesses(report.accesses, browserTimeZone()).map(({ latest: a, firstAt, count }) => h("tr", { role: "row", "data-count": String(count) },
        h("td", { role: "cell" }, formatDateTime(a.at), count > 1 ? h("span", { class: "muted", "data-testid": "access-repeated" }, ` · ${count} vezes desde ${formatTime(firstAt)}`) : null),
        h("td", { role: "cell", "data-label": "Quem" }, a.actorName ?? roleNames[a.actorRole ?? ""] ?? "—"),
        h("td", { role: "cell", "data-label": "O quê" }, describeAccess(a.action, a.resourceType)),
        h("td", { role: "cell", "data-label": "Por quê" }, describePurpose(a.purpose))))));
  }).catch((e: unknown) => card.append(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar o relatório.")));
  return card;
}

function exportCard(app: App): HTMLElement {
  const list = h("ul", { class: "exports", "data-testid": "exports" });
  const status = h("div", { role: "status", "aria-live": "polite", "data-testid": "export-status" });
  const load = poller(async () => {
    const exports = await app.http.get<ExportStatus[]>("/api/v1/privacy/exports");
    list.replaceChildren(...exports.map((e) => h("li", { "data-status": e.status },
      `${formatDateTime(e.requestedAt)} — ${exportStatusNames[e.status]}`,
      e.status === "ready" ? h("button", { type: "button", "data-testid": "download-export", onclick: () => void download(app, e.exportId, status) }, "Baixar") : null,
      e.expiresAt && e.status === "ready" ? h("span", { class: "muted" }, ` (disponível até ${formatDateTime(e.expiresAt)})`) : null)));
    return exports.some((e) => e.status === "pending" || e.status === "building");
  }, () => document.body.contains(list));
  const request = h("button", {
    type: "button", class: "primary", "data-testid": "request-export",
    // One request per press: on a slow network the patient sees the press was taken, and a second tap sends nothing.
    onclick: async () => {
      request.disabled = true;
      status.replaceChildren(message("info", "Enviando pedido..."));
      try {
        await app.http.post("/api/v1/privacy/export");
        status.replaceChildren(message("info", "Pedido recebido. Preparamos o arquivo em instantes; ele fica disponível por 7 dias."));
        await load();
      } catch (e) {
        status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível pedir a exportação."));
      } finally {
        request.disabled = false;
      }
    },
  }, "Exportar meus dados");
  void load();
  return h("div", { class: "card" }, h("h2", {}, "Exportar meus dados"),
    h("p", {}, "Um arquivo JSON com tudo o que guardamos sobre você: cadastro, consultas, chamadas, consentimentos e acessos."), request, status, list);
}

async function download(app: App, exportId: string, status: HTMLElement): Promise<void> {
  try {
    const current = await app.http.get<ExportStatus>(`/api/v1/privacy/export/${exportId}`);
    if (!current.downloadUrl) return;
    let url = current.downloadUrl;
    // The API link needs the session's token; a pre-signed link (S3) opens as it is.
    if (url.startsWith("/")) {
      const bundle = await app.http.get<unknown>(url);
      url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: "application/json" }));
    }
    const link = h("a", { href: url, download: "meus-dados.json" });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (e) {
    status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível baixar o arquivo."));
  }
}

/**
 * The account is gone: the page keeps only the answer (what was anonymised, what the law keeps). The consents, the
 * exports and the access report of the erased person stayed on the screen until the page was left.
 */
function showErased(answer: HTMLElement): void {
  const heading = h("h1", { tabindex: "-1" }, "Conta excluída");
  mount("privacidade", h("div", { class: "card", "data-testid": "erasure-result" }, heading, answer));
  heading.focus();
}

function erasureCard(app: App, onErased: (answer: HTMLElement) => void): HTMLElement {
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", "data-testid": "erasure-password" });
  const status = h("div", { role: "status", "aria-live": "polite", "data-testid": "erasure-status" });
  const erase = h("button", { type: "submit", class: "danger", "data-testid": "erase-account" }, "Excluir minha conta");
  // One erasure at a time: a double click asked twice and erased twice (two requests, two entries in the trail).
  // Once done, the button stays off: there is no account left to erase.
  let busy = false;
  const eraseAccount = async (): Promise<boolean> => {
    if (!window.confirm("Excluir sua conta? Seus dados de cadastro serão anonimizados e você não poderá mais entrar.")) return false;
    // The hub first: the erasure ends the account's sessions and closes their connections, and a reconnect, refused,
    // would take the page to the login before it shows what was kept. Back on if the erasure is refused.
    await app.hub.stop();
    try {
      const report = await app.http.post<ErasureReport>("/api/v1/privacy/erasure", { password: password.value });
      const kept = report.modules.flatMap((m) => m.retained);
      status.replaceChildren(message("success", "Seus dados pessoais foram anonimizados."),
        h("p", {}, "Guardamos, sem identificar você diretamente, o que a lei exige:"),
        h("ul", { "data-testid": "erasure-kept" }, ...kept.map((k) => h("li", {}, `${k.data} — ${k.reason} (${k.retention})`))));
      // The account is gone: its session ends here, and the answer stays on screen to be read.
      await app.endSessionHere();
      status.append(h("a", { href: "#/login", "data-testid": "erasure-done" }, "Ir para a página inicial"));
      onErased(status);
      return true;
    } catch (e) {
      status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível excluir a conta."));
      if (app.user) void app.hub.start();
      return false;
    }
  };
  const form = h("form", {
    onsubmit: async (event: Event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      erase.disabled = true;
      const done = await eraseAccount().catch(() => false);
      busy = done;
      erase.disabled = done;
    },
  }, field("Confirme com sua senha", password), erase);
  return h("div", { class: "card" }, h("h2", {}, "Excluir minha conta"),
    h("p", {}, "Apagamos ou anonimizamos seus dados pessoais. Prontuário, registros de consultas e a trilha de auditoria são mantidos pelo prazo legal, sem seus dados de contato."),
    form, status);
}
