import qrcode from "qrcode-generator";
import type { App } from "../app";
import { ApiError } from "../api/http";
import { sessionTokenStore } from "../api/session";
import type { Tokens } from "../api/types";
import { field, h, message, mount, showFieldErrors } from "../ui/dom";
import { emailNotice } from "../ui/emailNotice";

interface Me {
  id: string;
  email: string;
  fullName: string;
  role: string;
  status: string;
  emailConfirmed: boolean;
  emailConfirmationRequired: boolean;
  twoFactorEnabled: boolean;
  timeZone: string | null;
  phone: string | null;
  birthDate: string | null;
  doctor: { crm: string; crmState: string; specialty: string; verified: boolean } | null;
}

/** Profile: account data, e-mail confirmation, two-step verification (with QR code) and password change. */
export async function renderProfile(app: App): Promise<void> {
  const root = mount("perfil", h("p", { class: "muted" }, "Carregando..."));
  let me: Me;
  try {
    me = await app.http.get<Me>("/api/v1/identity/me");
  } catch (e) {
    root.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar o perfil."));
    return;
  }

  const info = h("div", { class: "card" }, h("h1", {}, me.fullName),
    h("dl", {},
      h("dt", {}, "E-mail"), h("dd", {}, me.email, me.emailConfirmed ? "" : " (não confirmado)"),
      h("dt", {}, "Fuso horário"), h("dd", {}, me.timeZone ?? "—"),
      me.phone ? h("dt", {}, "Telefone") : null, me.phone ? h("dd", {}, me.phone) : null,
      me.doctor ? h("dt", {}, "CRM") : null, me.doctor ? h("dd", {}, `${me.doctor.crm}/${me.doctor.crmState} — ${me.doctor.specialty}${me.doctor.verified ? "" : " (aguardando verificação)"}`) : null));
  const notice = emailNotice(me);
  if (notice !== null) {
    const resend = h("button", { type: "button" }, "Reenviar e-mail de confirmação");
    resend.addEventListener("click", async () => {
      await app.http.post("/api/v1/identity/confirm-email/resend", { email: me.email });
      resend.replaceWith(message("success", "Enviamos um novo link."));
    });
    info.append(message("info", notice), resend);
  }

  root.replaceChildren(h("div", { class: "columns" },
    h("div", {}, info, twoFactorCard(app, me)),
    h("div", {}, passwordCard(app), me.role === "admin" ? operationsCard(app) : null)));
}

/**
 * The Orleans dashboard (/ops/dashboard/) is a page of its own, which a bearer token kept by this app cannot reach:
 * the server exchanges the admin's token for a cookie scoped to /ops, then the dashboard opens.
 */
function operationsCard(app: App): HTMLElement {
  const open = h("button", { type: "button", "data-testid": "open-dashboard" }, "Abrir o painel do cluster");
  const status = h("div", { role: "status" });
  open.addEventListener("click", async () => {
    open.disabled = true;
    try {
      await app.http.post("/api/v1/admin/ops-session");
      location.assign("/ops/dashboard/");
    } catch (e) {
      open.disabled = false;
      status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível abrir o painel."));
    }
  });
  return h("div", { class: "card" }, h("h2", {}, "Operação"),
    h("p", {}, "Silos, grains e lembretes do cluster Orleans (painel em inglês)."), open, status);
}

function twoFactorCard(app: App, me: Me): HTMLElement {
  const card = h("div", { class: "card", "data-testid": "twofactor-card" }, h("h2", {}, "Verificação em duas etapas"));
  const status = h("div", { class: "status" });
  if (me.twoFactorEnabled) {
    const password = h("input", { type: "password", name: "password", autocomplete: "current-password" });
    const disable = h("form", {}, field("Senha", password), h("button", { type: "submit", class: "danger" }, "Desativar"));
    disable.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await app.http.post("/api/v1/identity/2fa/disable", { password: password.value });
        card.replaceWith(twoFactorCard(app, { ...me, twoFactorEnabled: false }));
      } catch (e) {
        status.replaceChildren(message("error", e instanceof ApiError ? Object.values(e.fieldErrors())[0] ?? e.message : "Erro."));
      }
    });
    card.append(message("success", "Ativa. Você vai precisar do código do aplicativo ao entrar.", "twofactor-on"), disable, status);
    return card;
  }

  const start = h("button", { type: "button", class: "primary", "data-testid": "twofactor-setup" }, "Configurar");
  start.addEventListener("click", async () => {
    try {
      const setup = await app.http.post<{ secret: string; otpauthUri: string }>("/api/v1/identity/2fa/setup");
      const qr = qrcode(0, "M");
      qr.addData(setup.otpauthUri);
      qr.make();
      const code = h("input", { name: "code", inputmode: "numeric", maxlength: 6, autocomplete: "one-time-code", "data-testid": "twofactor-code" });
      const enable = h("form", {}, field("Código do aplicativo", code), h("button", { type: "submit", class: "primary", "data-testid": "twofactor-enable" }, "Ativar"));
      const qrImage = h("div", { class: "qr", "aria-label": "QR code para o aplicativo autenticador" });
      qrImage.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
      enable.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const result = await app.http.post<{ recoveryCodes: string[] }>("/api/v1/identity/2fa/enable", { code: code.value.trim() });
          card.replaceChildren(h("h2", {}, "Verificação em duas etapas ativada"),
            message("success", "Guarde estes códigos de recuperação em lugar seguro. Cada um funciona uma vez."),
            h("ol", { class: "recovery-codes", "data-testid": "recovery-codes" }, ...result.recoveryCodes.map((c) => h("li", {}, h("code", {}, c)))));
        } catch (e) {
          if (e instanceof ApiError) showFieldErrors(enable, e.fieldErrors());
        }
      });
      card.replaceChildren(h("h2", {}, "Configurar verificação em duas etapas"),
        h("p", {}, "Leia o QR code com um aplicativo autenticador (Google Authenticator, Microsoft Authenticator, Authy...) ou digite a chave:"),
        qrImage, h("p", {}, h("code", { "data-testid": "twofactor-secret" }, setup.secret)), enable);
    } catch (e) {
      status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Erro."));
    }
  });
  card.append(h("p", {}, "Proteja sua conta com um código do celular além da senha."), start, status);
  return card;
}

function passwordCard(app: App): HTMLElement {
  const current = h("input", { type: "password", name: "currentPassword", autocomplete: "current-password" });
  const next = h("input", { type: "password", name: "newPassword", autocomplete: "new-password", minlength: 10 });
  const status = h("div", { class: "status" });
  const form = h("form", { class: "card" }, h("h2", {}, "Trocar senha"), field("Senha atual", current), field("Nova senha", next, "Pelo menos 10 caracteres."),
    status, h("button", { type: "submit", class: "primary" }, "Trocar senha"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      // Every session ended, this one too: the answer is this page's new session.
      sessionTokenStore.set(await app.http.post<Tokens>("/api/v1/identity/password/change", { currentPassword: current.value, newPassword: next.value }));
      status.replaceChildren(message("success", "Senha trocada. Suas outras sessões foram encerradas."));
      current.value = next.value = "";
    } catch (e) {
      if (e instanceof ApiError) {
        showFieldErrors(form, e.fieldErrors());
        status.replaceChildren(message("error", e.message));
      }
    }
  });
  return form;
}
