import "./styles.css";
import { App } from "./app";
import { ApiError } from "./api/http";
import { h, message, mount } from "./ui/dom";
import { renderLogin } from "./pages/login";
import { renderRegister } from "./pages/register";
import { renderConfirmEmail, renderForgotPassword, renderResetPassword } from "./pages/account";
import { renderPatient } from "./pages/patient";
import { renderDoctor } from "./pages/doctor";
import { renderRoom } from "./pages/room";
import { renderProfile } from "./pages/profile";
import { renderPrivacy } from "./pages/privacy";
import { renderAdmin } from "./pages/admin";
import { installIncomingCalls } from "./pages/incomingCalls";
import { PageSwitcher, type Cleanup } from "./router";

type Page = (app: App, params: URLSearchParams, arg: string) => Cleanup | Promise<Cleanup>;

const app = new App();
/** A page, whether it needs a signed-in user, and which roles it is for (any when absent). */
const routes: Record<string, { page: Page; auth: boolean; roles?: string[]; guestOnly?: boolean }> = {
  login: { page: renderLogin, auth: false, guestOnly: true },
  cadastro: { page: renderRegister, auth: false, guestOnly: true },
  "confirmar-email": { page: renderConfirmEmail, auth: false },
  "esqueci-senha": { page: renderForgotPassword, auth: false },
  "redefinir-senha": { page: renderResetPassword, auth: false },
  paciente: { page: renderPatient, auth: true, roles: ["patient"] },
  medico: { page: renderDoctor, auth: true, roles: ["doctor"] },
  consulta: { page: renderRoom, auth: true, roles: ["patient", "doctor"] },
  perfil: { page: renderProfile, auth: true },
  privacidade: { page: renderPrivacy, auth: true },
  admin: { page: renderAdmin, auth: true, roles: ["admin"] },
};

const pages = new PageSwitcher();

async function route(): Promise<void> {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", query = ""] = hash.split("?");
  const [name = "", arg = ""] = path.split("/");
  const target = routes[name];
  if (!target) {
    app.go(app.home());
    return;
  }

  if (target.auth && !app.user) {
    app.go("#/login");
    return;
  }

  // Back from the home page right after signing in, or a bookmark: the login form would sit under the signed-in
  // user's name. Replaced, not pushed, so Back is not a loop between the two.
  if (target.guestOnly && app.user) {
    location.replace(app.home());
    return;
  }

  // Another role's page (a link shared, a hash typed) would only fail request after request: go home instead.
  if (target.roles && !target.roles.includes(app.user?.role ?? "")) {
    app.go(app.home());
    return;
  }

  try {
    await pages.show(() => {
      renderNav();
      return target.page(app, new URLSearchParams(query), decodeURIComponent(arg));
    });
  } catch (e) {
    // A page that could not load says so where the page would be, instead of an error no one sees.
    mount("erro", h("div", { class: "card" },
      message("error", e instanceof ApiError ? e.message : "Não foi possível carregar esta página."),
      h("a", { href: app.home() }, "Voltar ao início")));
  }
}

function renderNav(): void {
  const nav = document.getElementById("nav")!;
  // Who is signed in: beside the brand, outside the navigation landmark (it is no link). A long name is cut to one line
  // of the bar (a phone gave a 200-character name four lines); the whole of it on hover.
  const who = document.getElementById("who")!;
  const user = app.user;
  who.hidden = !user;
  who.textContent = user?.fullName ?? "";
  who.title = user?.fullName ?? "";
  if (!user) {
    nav.replaceChildren(h("a", { href: "#/login" }, "Entrar"), h("a", { href: "#/cadastro" }, "Criar conta"));
    return;
  }

  const links = [
    user.role === "patient" ? h("a", { href: "#/paciente" }, "Consultas") : null,
    user.role === "doctor" ? h("a", { href: "#/medico" }, "Agenda") : null,
    user.role === "admin" ? h("a", { href: "#/admin" }, "Administração") : null,
    h("a", { href: "#/perfil" }, "Perfil"),
    h("a", { href: "#/privacidade" }, "Privacidade"),
    h("button", { type: "button", class: "link", "data-testid": "logout", onclick: () => void app.signOut() }, "Sair"),
  ];
  nav.replaceChildren(...links.filter((l) => l !== null));
}

// Debug and test handle (used by the browser tests in tests/Telemedicina.BrowserTests): the active call session and the hub state.
window.telemedicina = { hubState: () => app.hub.connectionState };

app.hub.onStatus((status) => {
  if (status === "reconnecting") app.banner("Conexão instável — reconectando...");
  else app.banner(null);
});
app.onSessionChange = renderNav;
app.waitingCalls = installIncomingCalls(app);
// The hub tells a patient or doctor when the other party of an appointment of the day comes and goes; only the room
// shows it. Elsewhere the event needs a handler all the same, or the SignalR client logs one error per event.
app.hub.on("PresenceChanged", () => {});
if (app.user) void app.hub.start();
window.addEventListener("hashchange", () => void route());
void route();
