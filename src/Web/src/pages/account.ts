import type { App } from "../app";
import { ApiError } from "../api/http";
import { field, h, message, mount, showFieldErrors } from "../ui/dom";

export async function renderConfirmEmail(app: App, params: URLSearchParams): Promise<void> {
  const root = mount("confirmar-email", h("div", { class: "card narrow" }, h("h1", {}, "Confirmando seu e-mail..."), h("p", { class: "muted" }, "Só um instante.")));
  try {
    await app.http.post("/api/v1/identity/confirm-email", { userId: params.get("userId"), token: params.get("token") });
    root.firstElementChild!.replaceChildren(h("h1", {}, "E-mail confirmado"),
      message("success", "Tudo certo! Sua conta está ativa.", "email-confirmed"),
      h("a", { href: app.user ? app.home() : "#/login", class: "button primary" }, app.user ? "Continuar" : "Entrar"));
  } catch (e) {
    root.firstElementChild!.replaceChildren(h("h1", {}, "Link inválido"),
      message("error", e instanceof ApiError ? e.message : "Não foi possível confirmar agora.", "email-confirm-error"),
      h("p", {}, "Peça um novo link na página de perfil ou faça login de novo."));
  }
}

export function renderForgotPassword(app: App): void {
  const email = h("input", { type: "email", name: "email", required: true, "data-testid": "forgot-email" });
  const status = h("div", { class: "status" });
  const form = h("form", { class: "card narrow" }, h("h1", {}, "Esqueci minha senha"), field("E-mail", email), status,
    h("button", { type: "submit", class: "primary", "data-testid": "forgot-submit" }, "Enviar link"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await app.http.post("/api/v1/identity/password/forgot", { email: email.value.trim() });
      status.replaceChildren(message("success", "Se houver uma conta com este e-mail, enviamos um link para redefinir a senha."));
    } catch (e) {
      status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível conectar."));
    }
  });
  mount("esqueci-senha", form);
}

export function renderResetPassword(app: App, params: URLSearchParams): void {
  const password = h("input", { type: "password", name: "newPassword", autocomplete: "new-password", minlength: 10, required: true, "data-testid": "reset-password" });
  const status = h("div", { class: "status" });
  const form = h("form", { class: "card narrow" }, h("h1", {}, "Nova senha"), field("Nova senha", password, "Pelo menos 10 caracteres."), status,
    h("button", { type: "submit", class: "primary", "data-testid": "reset-submit" }, "Salvar"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await app.http.post("/api/v1/identity/password/reset", { email: params.get("email"), token: params.get("token"), newPassword: password.value });
      form.replaceChildren(h("h1", {}, "Senha alterada"), message("success", "Entre com a nova senha."), h("a", { href: "#/login", class: "button primary" }, "Entrar"));
    } catch (e) {
      if (e instanceof ApiError) {
        showFieldErrors(form, e.fieldErrors());
        status.replaceChildren(message("error", e.message));
      }
    }
  });
  mount("redefinir-senha", form);
}
