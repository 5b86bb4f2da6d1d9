import type { App } from "../app";
import { ApiError } from "../api/http";
import type { LoginAnswer, Tokens } from "../api/types";
import { field, h, message, mount } from "../ui/dom";

export function renderLogin(app: App): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, "data-testid": "email" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, "data-testid": "password" });
  const status = h("div", { class: "status" });
  const form = h("form", { class: "card narrow" },
    h("h1", {}, "Entrar"),
    field("E-mail", email),
    field("Senha", password),
    status,
    h("button", { type: "submit", class: "primary", "data-testid": "login-submit" }, "Entrar"),
    h("p", { class: "links" }, h("a", { href: "#/esqueci-senha" }, "Esqueci minha senha"), " · ", h("a", { href: "#/cadastro" }, "Criar conta")));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      const answer = await app.http.post<LoginAnswer>("/api/v1/identity/login", { email: email.value.trim(), password: password.value });
      if ("twoFactorRequired" in answer) {
        renderSecondFactor(app, answer.challengeToken);
      } else {
        await app.signIn(answer);
      }
    } catch (e) {
      status.replaceChildren(message("error", loginError(e)));
    }
  });
  mount("login", form);
}

function renderSecondFactor(app: App, challengeToken: string): void {
  const code = h("input", { type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 20, required: true, "data-testid": "totp" });
  const status = h("div", { class: "status" });
  const form = h("form", { class: "card narrow" },
    h("h1", {}, "Verificação em duas etapas"),
    h("p", {}, "Digite o código de 6 dígitos do seu aplicativo autenticador (ou um código de recuperação)."),
    field("Código", code),
    status,
    h("button", { type: "submit", class: "primary", "data-testid": "login-submit" }, "Confirmar"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await app.signIn(await app.http.post<Tokens>("/api/v1/identity/login/2fa", { challengeToken, code: code.value.trim() }));
    } catch (e) {
      status.replaceChildren(message("error", e instanceof ApiError && e.status === 401 ? "Código inválido ou já usado." : loginError(e)));
    }
  });
  mount("login", form);
  code.focus();
}

function loginError(e: unknown): string {
  if (!(e instanceof ApiError)) return "Não foi possível conectar. Verifique sua internet.";
  if (e.status === 401) return "E-mail ou senha inválidos.";
  return e.message;
}
