import type { App } from "../app";
import { ApiError } from "../api/http";
import type { CredentialDocument } from "../api/types";
import { field, h, message, mount, showFieldErrors } from "../ui/dom";
import { formatDateTime } from "../ui/format";
import { latestOnly } from "../ui/latest";
import { auditQuery, isUserId } from "../ui/auditQuery";
import { describeAccess, describePurpose } from "../ui/auditLabels";

interface AdminUser {
  userId: string;
  email: string;
  fullName: string;
  role: string;
  status: string;
  emailConfirmed: boolean;
  twoFactorEnabled: boolean;
  createdAt: string;
  crm: string | null;
  crmState: string | null;
  specialty: string | null;
}

interface AdminUserPage {
  items: AdminUser[];
  page: number;
  pageSize: number;
  total: number;
}

interface Incident {
  id: string;
  title: string;
  description: string;
  occurredAt: string | null;
  discoveredAt: string;
  dataCategories: string[];
  affectedSubjects: string[];
  measures: string | null;
  notifyBy: string;
  anpdNotifiedAt: string | null;
  subjectsNotifiedAt: string | null;
  overdue: boolean;
}

interface AuditEntry {
  id: number;
  occurredAt: string;
  actorId: string | null;
  actorName: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  subjectId: string | null;
  subjectName: string | null;
  outcome: string;
  purpose: string | null;
  ipAddress: string | null;
}

interface AuditPage {
  items: AuditEntry[];
  page: number;
  pageSize: number;
  total: number;
}

interface AuditVerification {
  valid: boolean;
  checked: number;
  firstBrokenId: number | null;
}

const roleNames: Record<string, string> = { patient: "Paciente", doctor: "Médico(a)", admin: "Administração" };
const statusNames: Record<string, string> = { active: "Ativa", pendingVerification: "Aguardando verificação", locked: "Bloqueada" };

/**
 * Administração: the accounts (find one, approve a doctor after reading the credential documents, lock, unlock, reset
 * the second factor) and the audit trail's integrity. Admins had only the HTTP API, so a CRM check or an LGPD request
 * meant calling it by hand. It opens on the doctors waiting for verification, the admin's daily queue. The incident
 * register (LGPD art. 48) keeps the ANPD deadline in view.
 */
export function renderAdmin(app: App): void {
  const q = h("input", { type: "search", name: "q", maxlength: 100, "data-testid": "admin-q", placeholder: "Nome ou e-mail" });
  const role = h("select", { name: "role", "data-testid": "admin-role" },
    h("option", { value: "" }, "Todos"), h("option", { value: "patient" }, "Pacientes"),
    h("option", { value: "doctor", selected: true }, "Médicos(as)"), h("option", { value: "admin" }, "Administração"));
  const status = h("select", { name: "status", "data-testid": "admin-status" },
    h("option", { value: "" }, "Todas"), h("option", { value: "pendingVerification", selected: true }, "Aguardando verificação"),
    h("option", { value: "active" }, "Ativas"), h("option", { value: "locked" }, "Bloqueadas"));
  const summary = h("p", { class: "muted", role: "status", "data-testid": "admin-summary" }, "Carregando...");
  const list = h("ul", { class: "admin-users", "data-testid": "admin-users", "aria-busy": "true" });
  const pager = h("div", { class: "actions" });
  const audit = auditCard(app);
  let page = 1;
  // Only the latest search may fill the list: an earlier answer arriving late would replace the rows the admin is using.
  const turn = latestOnly();

  const load = async () => {
    const current = turn();
    // Busy until the latest search has answered: assistive technology (and the browser tests) wait for the rows it asked for.
    list.setAttribute("aria-busy", "true");
    const query = new URLSearchParams({ page: String(page) });
    if (q.value.trim()) query.set("q", q.value.trim());
    if (role.value) query.set("role", role.value);
    if (status.value) query.set("status", status.value);
    try {
      const result = await app.http.get<AdminUserPage>(`/api/v1/admin/users?${query.toString()}`);
      if (!current()) return;
      const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
      summary.textContent = result.total === 0
        ? "Nenhuma conta com esses filtros."
        : `${result.total} ${result.total === 1 ? "conta" : "contas"} · página ${result.page} de ${pages}`;
      // The page opens on the verification queue (doctors, awaiting verification): a patient's name searched there
      // found nothing, and the answer did not say why. It names the filters and offers the search without them.
      const narrowed = [role, status].filter((s) => s.value).map((s) => s.selectedOptions[0]?.textContent ?? s.value);
      if (result.total === 0 && narrowed.length > 0) {
        summary.textContent = `Nenhuma conta com esses filtros (${narrowed.join(", ")}). `;
        summary.append(h("button", {
          type: "button", class: "link", "data-testid": "admin-search-all",
          onclick: () => {
            role.value = "";
            status.value = "";
            page = 1;
            void load();
          },
        }, "Buscar em todas as contas"));
      }
      list.replaceChildren(...result.items.map((user) => userItem(app, user, load, audit.trailOf)));
      pager.replaceChildren(...[
        page > 1 ? h("button", { type: "button", onclick: () => { page--; void load(); } }, "Anterior") : null,
        page < pages ? h("button", { type: "button", onclick: () => { page++; void load(); } }, "Próxima") : null,
      ].filter((b) => b !== null));
    } catch (e) {
      if (!current()) return;
      summary.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível buscar as contas."));
    } finally {
      if (current()) list.setAttribute("aria-busy", "false");
    }
  };

  const filters = h("form", {
    class: "filters",
    onsubmit: (event: Event) => {
      event.preventDefault();
      page = 1;
      void load();
    },
  }, field("Buscar", q), field("Perfil", role), field("Situação", status), h("button", { type: "submit", class: "primary", "data-testid": "admin-search" }, "Buscar"));

  mount("admin",
    h("div", { class: "card" }, h("h1", {}, "Administração"), h("h2", {}, "Contas"), filters, summary, list, pager),
    incidentsCard(app), audit.card);
  void load();
}

function userItem(app: App, user: AdminUser, reload: () => Promise<void>, trailOf: TrailOf): HTMLElement {
  const self = user.userId === app.user?.id;
  const status = h("div", { role: "status", "aria-live": "polite" });
  const documents = h("div", { class: "documents" });

  /** Runs an admin action after the admin confirms it, then shows the list as it now is. */
  const act = (label: string, question: string, path: string) =>
    h("button", {
      type: "button",
      "data-testid": `admin-${path}`,
      onclick: async () => {
        if (!window.confirm(question)) return;
        try {
          await app.http.post(`/api/v1/admin/${path === "verify" ? "doctors" : "users"}/${user.userId}/${path}`);
          await reload();
        } catch (e) {
          status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível concluir."));
        }
      },
    }, label);

  const pending = user.role === "doctor" && user.status === "pendingVerification";
  const actions = h("div", { class: "actions" },
    user.role === "doctor" ? h("button", { type: "button", "data-testid": "admin-documents", onclick: () => void showDocuments(app, user, documents) }, "Ver documentos") : null,
    pending ? act("Aprovar cadastro", `Aprovar o cadastro de ${user.fullName} (CRM ${user.crm}/${user.crmState})? Confira o CRM no conselho regional antes.`, "verify") : null,
    !self && user.status !== "locked" ? act("Bloquear", `Bloquear a conta de ${user.fullName}? Todas as sessões dela terminam na hora.`, "lock") : null,
    !self && user.status === "locked" ? act("Desbloquear", `Desbloquear a conta de ${user.fullName}?`, "unlock") : null,
    !self && user.twoFactorEnabled
      ? act("Redefinir verificação em duas etapas", `Redefinir a verificação em duas etapas de ${user.fullName}? Faça isso só depois de confirmar a identidade da pessoa.`, "reset-2fa")
      : null,
    h("button", { type: "button", "data-testid": "admin-trail-subject", onclick: () => trailOf(user, "subject") }, "Acessos aos dados"),
    h("button", { type: "button", "data-testid": "admin-trail-actor", onclick: () => trailOf(user, "actor") }, "Ações da conta"));

  return h("li", { class: "admin-user", "data-testid": "admin-user", "data-user-id": user.userId },
    h("strong", {}, user.fullName), " ", h("span", { class: "muted" }, user.email),
    h("div", {},
      `${roleNames[user.role] ?? user.role} · `,
      h("span", { "data-testid": "admin-user-status" }, statusNames[user.status] ?? user.status),
      user.emailConfirmed ? "" : " · e-mail não confirmado",
      user.twoFactorEnabled ? " · verificação em duas etapas ativa" : "",
      ` · desde ${formatDateTime(user.createdAt)}`),
    user.crm ? h("div", {}, `CRM ${user.crm}/${user.crmState} — ${user.specialty ?? ""}`) : null,
    self ? h("div", { class: "muted" }, "Esta é a sua conta.") : null,
    actions, documents, status);
}

/** The doctor's credential documents; each opens in a new tab (the files need the admin's token, so they come as blobs). */
async function showDocuments(app: App, user: AdminUser, target: HTMLElement): Promise<void> {
  target.replaceChildren(h("p", { class: "muted" }, "Carregando..."));
  try {
    const docs = await app.http.get<CredentialDocument[]>(`/api/v1/admin/doctors/${user.userId}/documents`);
    if (docs.length === 0) {
      target.replaceChildren(message("info", "Nenhum documento enviado. Peça o CRM e um documento com foto antes de aprovar."));
      return;
    }

    target.replaceChildren(h("ul", { "data-testid": "admin-document-list" }, ...docs.map((doc) => h("li", {},
      h("button", {
        type: "button",
        class: "link",
        "data-testid": "admin-document",
        onclick: async () => {
          try {
            const blob = await app.http.blob(`/api/v1/admin/doctors/${user.userId}/documents/${doc.id}`);
            const url = URL.createObjectURL(blob);
            window.open(url, "_blank", "noopener");
            setTimeout(() => URL.revokeObjectURL(url), 60_000);
          } catch (e) {
            target.append(message("error", e instanceof ApiError ? e.message : "Não foi possível abrir o documento."));
          }
        },
      }, doc.fileName),
      ` · ${Math.max(1, Math.round(doc.sizeBytes / 1024))} KiB · ${formatDateTime(doc.uploadedAt)}`))));
  } catch (e) {
    target.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível listar os documentos."));
  }
}

/** Actions of the trail an admin filters by, in the words of the access report. */
const auditActions: [string, string][] = [
  ["read", "Consultas"], ["create", "Criações"], ["update", "Alterações"], ["delete", "Exclusões"], ["execute", "Processamentos"],
  ["login", "Entradas na conta"], ["logout", "Saídas da conta"], ["security", "Eventos de segurança"],
];
const outcomeNames: Record<string, string> = { success: "concluído", failure: "falhou", denied: "negado" };

/** Whose trail to show: as the person whose data was touched, or as the one who acted. */
type TrailOf = (user: AdminUser, as: "subject" | "actor") => void;

/**
 * The audit trail: who touched whose data, when, why and with what outcome, searched by person (as the data's subject
 * or as the actor), action and days, and exported as the API's NDJSON (with the chain's hashes) for an LGPD request or
 * an incident. Each account of the list opens its own trail. The integrity check is one button.
 */
function auditCard(app: App): { card: HTMLElement; trailOf: TrailOf } {
  // A person is found by e-mail, name or account id: the admin answering an LGPD request has the requester's e-mail,
  // not their id (the fields took only an id, which only the account list's buttons filled).
  const subject = h("input", { name: "subject", maxlength: 254, placeholder: "e-mail, nome ou id", "data-testid": "audit-subject" });
  const actor = h("input", { name: "actor", maxlength: 254, placeholder: "e-mail, nome ou id", "data-testid": "audit-actor" });
  const action = h("select", { name: "action", "data-testid": "audit-action" },
    h("option", { value: "" }, "Todas"), ...auditActions.map(([value, label]) => h("option", { value }, label)));
  const fromDate = h("input", { type: "date", name: "from", "data-testid": "audit-from" });
  const toDate = h("input", { type: "date", name: "to", "data-testid": "audit-to" });
  const chosen = h("p", { class: "muted", "data-testid": "audit-chosen" });
  const summary = h("p", { class: "muted", role: "status", "data-testid": "audit-summary" }, "Carregando...");
  const list = h("ul", { class: "admin-users audit-entries", "data-testid": "audit-entries", "aria-busy": "true" });
  const pager = h("div", { class: "actions" });
  const exportStatus = h("div", { role: "status", "aria-live": "polite" });
  const turn = latestOnly();
  let page = 1;

  const filters = () => ({ subject: subject.value, actor: actor.value, action: action.value, fromDate: fromDate.value, toDate: toDate.value });
  const load = async () => {
    const current = turn();
    list.setAttribute("aria-busy", "true");
    try {
      const result = await app.http.get<AuditPage>(`/api/v1/admin/audit?${auditQuery(filters(), page).toString()}`);
      if (!current()) return;
      const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
      summary.textContent = result.total === 0
        ? "Nenhum registro com esses filtros."
        : `${result.total.toLocaleString("pt-BR")} ${result.total === 1 ? "registro" : "registros"} · página ${result.page} de ${pages.toLocaleString("pt-BR")}`;
      list.replaceChildren(...result.items.map(auditItem));
      pager.replaceChildren(...[
        page > 1 ? h("button", { type: "button", onclick: () => { page--; void load(); } }, "Mais recentes") : null,
        page < pages ? h("button", { type: "button", "data-testid": "audit-older", onclick: () => { page++; void load(); } }, "Mais antigos") : null,
      ].filter((b) => b !== null));
    } catch (e) {
      if (!current()) return;
      list.replaceChildren();
      pager.replaceChildren();
      summary.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível buscar na trilha."));
    } finally {
      if (current()) list.setAttribute("aria-busy", "false");
    }
  };
  const search = () => {
    page = 1;
    void load();
  };

  // The export is the API's NDJSON with each entry's hashes, so whoever receives it can check the chain.
  const exportTrail = h("button", {
    type: "button",
    "data-testid": "audit-export",
    onclick: async () => {
      exportTrail.disabled = true;
      exportStatus.replaceChildren(h("p", { class: "muted" }, "Exportando..."));
      try {
        const blob = await app.http.blob(`/api/v1/admin/audit/export?${auditQuery(filters()).toString()}`);
        const url = URL.createObjectURL(blob);
        const link = h("a", { href: url, download: `trilha-auditoria-${new Date().toISOString().slice(0, 10)}.ndjson` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        exportStatus.replaceChildren(message("success", "Exportação baixada (um registro JSON por linha, com os hashes da cadeia)."));
      } catch (e) {
        exportStatus.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível exportar."));
      } finally {
        exportTrail.disabled = false;
      }
    },
  }, "Exportar (NDJSON)");

  // Each person field that holds an e-mail or a name becomes that account's id: one match is taken (and named), several
  // are offered to choose from, none is said. Only then is the trail searched.
  const people: [HTMLInputElement, "subject" | "actor", string][] = [[subject, "subject", "Titular dos dados"], [actor, "actor", "Quem acessou"]];
  const known = new Map<string, AdminUser>();
  const describe = (user: AdminUser, as: "subject" | "actor") =>
    as === "subject" ? `Acessos aos dados de ${user.fullName} (${user.email}).` : `Ações de ${user.fullName} (${user.email}).`;
  const resolvePeople = async (): Promise<boolean> => {
    const named: string[] = [];
    for (const [input, as, label] of people) {
      const text = input.value.trim();
      if (!text) continue;
      if (isUserId(text)) {
        const user = known.get(text.toLowerCase());
        if (user) named.push(describe(user, as));
        continue;
      }

      let found: AdminUserPage;
      try {
        found = await app.http.get<AdminUserPage>(`/api/v1/admin/users?${new URLSearchParams({ q: text }).toString()}`);
      } catch (e) {
        summary.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível buscar a conta."));
        return false;
      }

      list.replaceChildren();
      pager.replaceChildren();
      if (found.total === 0) {
        summary.replaceChildren(message("error", `Nenhuma conta para \u201c${text}\u201d (${label}). Busque pelo e-mail, pelo nome ou pelo id da conta; ` +
          "uma conta excluída, só pelo id (está no relatório da exclusão)."));
        return false;
      }

      if (found.total > 1) {
        summary.replaceChildren(h("span", {}, `${found.total} contas para \u201c${text}\u201d (${label}). Escolha uma:`),
          h("span", { class: "actions" }, ...found.items.map((user) => h("button", {
            type: "button", class: "link", "data-testid": "audit-pick",
            onclick: () => {
              known.set(user.userId.toLowerCase(), user);
              input.value = user.userId;
              void submit();
            },
          }, `${user.fullName} · ${user.email}`))),
          ...(found.total > found.items.length ? [h("span", { class: "muted" }, " Use o e-mail para achar as demais.")] : []));
        return false;
      }

      const user = found.items[0]!;
      known.set(user.userId.toLowerCase(), user);
      input.value = user.userId;
      named.push(describe(user, as));
    }

    chosen.textContent = named.join(" ");
    return true;
  };
  const submit = async () => {
    chosen.textContent = "";
    if (await resolvePeople()) search();
  };

  const form = h("form", {
    class: "filters",
    onsubmit: (event: Event) => {
      event.preventDefault();
      void submit();
    },
  }, field("Titular dos dados", subject), field("Quem acessou", actor), field("Ação", action), field("De", fromDate), field("Até", toDate),
  h("button", { type: "submit", class: "primary", "data-testid": "audit-search" }, "Buscar"));

  const verifyResult = h("div", { role: "status", "aria-live": "polite", "data-testid": "audit-verify-result" });
  const verify = h("button", {
    type: "button",
    "data-testid": "audit-verify",
    onclick: async () => {
      verifyResult.replaceChildren(h("p", { class: "muted" }, "Verificando..."));
      try {
        const check = await app.http.get<AuditVerification>("/api/v1/admin/audit/verify");
        verifyResult.replaceChildren(check.valid
          ? message("success", `Trilha íntegra: ${check.checked.toLocaleString("pt-BR")} registros conferidos.`)
          : message("error", `A trilha foi alterada a partir do registro ${check.firstBrokenId ?? "?"}. Siga o plano de resposta a incidentes (RUNBOOK).`));
      } catch (e) {
        verifyResult.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível verificar a trilha."));
      }
    },
  }, "Verificar a integridade");

  const card = h("div", { class: "card", id: "trilha" }, h("h2", {}, "Trilha de auditoria"),
    h("p", {}, "Cada acesso a dados pessoais fica registrado numa trilha encadeada: quem, quando, o quê e por quê. Para um pedido de titular (LGPD), busque pela pessoa e exporte."),
    form, chosen, h("div", { class: "actions" }, exportTrail, verify), exportStatus, verifyResult, summary, list, pager);
  void load();

  const trailOf: TrailOf = (user, as) => {
    subject.value = as === "subject" ? user.userId : "";
    actor.value = as === "actor" ? user.userId : "";
    action.value = "";
    chosen.textContent = as === "subject" ? `Acessos aos dados de ${user.fullName}.` : `Ações de ${user.fullName}.`;
    search();
    card.scrollIntoView({ block: "start" });
  };
  return { card, trailOf };
}

function auditItem(entry: AuditEntry): HTMLElement {
  const who = entry.actorName ?? (entry.actorId ? `${roleNames[entry.actorRole ?? ""] ?? "Conta"} ${entry.actorId}` : "Sistema");
  const whose = entry.subjectId ? entry.subjectName ?? entry.subjectId : null;
  return h("li", { class: "admin-user", "data-testid": "audit-entry", "data-action": entry.action, "data-resource": entry.resourceType, "data-outcome": entry.outcome },
    h("div", {}, h("strong", {}, formatDateTime(entry.occurredAt)), " · ",
      h("span", { "data-testid": "audit-entry-actor" }, who), entry.actorRole && entry.actorName ? h("span", { class: "muted" }, ` (${roleNames[entry.actorRole] ?? entry.actorRole})`) : null),
    // The trail's own code is there for whoever needs it (hover, or a screen reader's description), not in the sentence.
    h("div", {}, h("span", { title: entry.resourceType, "data-testid": "audit-entry-what" }, describeAccess(entry.action, entry.resourceType, "admin")),
      entry.outcome === "success" ? null : h("strong", { class: "warning" }, ` · ${outcomeNames[entry.outcome] ?? entry.outcome}`)),
    h("div", { class: "muted" },
      whose ? `Titular: ${whose} · ` : "",
      `Finalidade: ${describePurpose(entry.purpose, "admin")}`,
      entry.ipAddress ? ` · IP ${entry.ipAddress}` : ""));
}

/** A datetime-local value (the admin's clock) as an ISO instant, or null when empty. */
function instant(input: HTMLInputElement): string | null {
  return input.value ? new Date(input.value).toISOString() : null;
}

/** Now, as a datetime-local input shows it (local time, to the minute). */
function localNow(): string {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

/**
 * The incident register: what happened, which data, and whether the ANPD and the people affected were told within
 * the deadline the server computes (three business days from the discovery). A notice, once recorded, stays as it was.
 */
function incidentsCard(app: App): HTMLElement {
  const list = h("ul", { class: "admin-users", "data-testid": "incidents" });
  const summary = h("p", { class: "muted", role: "status" }, "Carregando...");

  const turn = latestOnly();
  const load = async () => {
    const current = turn();
    try {
      const incidents = await app.http.get<Incident[]>("/api/v1/admin/incidents");
      if (!current()) return;
      summary.textContent = incidents.length === 0 ? "Nenhum incidente registrado." : "";
      list.replaceChildren(...incidents.map((incident) => incidentItem(app, incident, load)));
    } catch (e) {
      if (!current()) return;
      summary.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar os incidentes."));
    }
  };

  const title = h("input", { name: "title", maxlength: 200, required: true, "data-testid": "incident-title" });
  const description = h("textarea", { name: "description", maxlength: 10000, rows: 3, required: true, "data-testid": "incident-description" });
  const discoveredAt = h("input", { type: "datetime-local", name: "discoveredAt", value: localNow(), required: true, "data-testid": "incident-discovered" });
  const occurredAt = h("input", { type: "datetime-local", name: "occurredAt" });
  const categories = h("input", { name: "dataCategories", maxlength: 3000, required: true, "data-testid": "incident-categories" });
  const measures = h("textarea", { name: "measures", maxlength: 10000, rows: 2 });
  const status = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", {
    onsubmit: async (event: Event) => {
      event.preventDefault();
      try {
        await app.http.post("/api/v1/admin/incidents", {
          title: title.value.trim(),
          description: description.value.trim(),
          discoveredAt: instant(discoveredAt),
          occurredAt: instant(occurredAt),
          dataCategories: categories.value.split(",").map((c) => c.trim()).filter((c) => c.length > 0),
          measures: measures.value.trim() || null,
        });
        form.reset();
        discoveredAt.value = localNow();
        showFieldErrors(form, {});
        status.replaceChildren(message("success", "Incidente registrado. O prazo para comunicar está na lista."));
        await load();
      } catch (e) {
        if (e instanceof ApiError) showFieldErrors(form, e.fieldErrors());
        status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível registrar o incidente."));
      }
    },
  },
  field("Título", title), field("O que aconteceu", description), field("Descoberto em", discoveredAt),
  field("Ocorrido em (se souber)", occurredAt), field("Categorias de dados afetadas", categories, "Separe por vírgulas: dados de contato, dados de saúde..."),
  field("Medidas tomadas", measures), h("button", { type: "submit", class: "primary", "data-testid": "incident-submit" }, "Registrar incidente"), status);

  void load();
  return h("div", { class: "card" }, h("h2", {}, "Incidentes de segurança (LGPD)"),
    h("p", {}, "Registre todo incidente com dados pessoais. A ANPD e os titulares afetados devem ser comunicados em até três dias úteis da descoberta."),
    summary, list, h("details", {}, h("summary", {}, "Registrar novo incidente"), form));
}

function incidentItem(app: App, incident: Incident, reload: () => Promise<void>): HTMLElement {
  const status = h("div", { role: "status", "aria-live": "polite" });
  const notice = (label: string, what: string, key: "anpdNotifiedAt" | "subjectsNotifiedAt", testId: string) => {
    const done = incident[key];
    if (done) return h("div", {}, `${label}: ${formatDateTime(done)}`);
    return h("button", {
      type: "button",
      "data-testid": testId,
      onclick: async () => {
        if (!window.confirm(`Registrar que ${what} foi feita agora? O registro não pode ser alterado depois.`)) return;
        try {
          await app.http.post(`/api/v1/admin/incidents/${incident.id}/notices`, { [key]: new Date().toISOString() });
          await reload();
        } catch (e) {
          status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível registrar a comunicação."));
        }
      },
    }, `Registrar ${what}`);
  };

  return h("li", { class: "admin-user", "data-testid": "incident", "data-incident-id": incident.id },
    h("strong", {}, incident.title),
    h("div", { class: "muted" }, `Descoberto em ${formatDateTime(incident.discoveredAt)} · dados: ${incident.dataCategories.join(", ")}`),
    incident.overdue
      ? message("error", `Prazo de comunicação vencido em ${formatDateTime(incident.notifyBy)}.`, "incident-overdue")
      : h("div", { "data-testid": "incident-deadline" }, `Comunicar até ${formatDateTime(incident.notifyBy)}`),
    h("div", { class: "actions" }, notice("Comunicação à ANPD", "a comunicação à ANPD", "anpdNotifiedAt", "incident-anpd"),
      notice("Comunicação aos titulares", "a comunicação aos titulares", "subjectsNotifiedAt", "incident-subjects")),
    status);
}
