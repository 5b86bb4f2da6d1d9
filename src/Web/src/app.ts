import { Http } from "./api/http";
import { currentUser, homeFor, sessionTokenStore } from "./api/session";
import type { LoginUser, Tokens } from "./api/types";
import { Hub } from "./realtime/hub";
import { noWaitingCalls, type WaitingCalls } from "./pages/incomingCalls";

/** What every page gets: the API client, the tab's hub connection and navigation. */
export class App {
  readonly http: Http;
  readonly hub: Hub;
  /** The patients waiting for the signed-in doctor (the incoming-call panel's, set by main). */
  waitingCalls: WaitingCalls = noWaitingCalls;

  constructor() {
    // The server ended the session (an admin locked the account, the password was reset elsewhere, the refresh token
    // was revoked): the login page says so, instead of a "reconnecting" banner and no reason.
    this.http = new Http(undefined, sessionTokenStore, () => this.afterLogout("Sua sessão foi encerrada. Entre novamente."));
    // After the server closed the hub connection, the session is checked with a refresh first: refresh tokens live in
    // the database, so every silo agrees at once that a locked account's session is over, where a ticket could still
    // come from a silo that has not heard of the lock yet (it reads them every 5 s) and the page would say
    // "reconectando" until it did.
    this.hub = new Hub(async (afterServerClose) => {
      if (afterServerClose && !(await this.http.refresh())) throw new Error("Sessão encerrada.");
      return this.http.hubTicket();
    });
  }

  get user(): LoginUser | null {
    return currentUser();
  }

  go(hash: string): void {
    if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = hash;
  }

  home(): string {
    return homeFor(this.user);
  }

  /** Called when the signed-in user changes (main re-renders the navigation). */
  onSessionChange: () => void = () => {};

  async signIn(tokens: Tokens): Promise<void> {
    sessionTokenStore.set(tokens);
    this.banner(null);
    await this.hub.stop();
    void this.hub.start();
    this.go(this.home());
  }

  async signOut(): Promise<void> {
    const tokens = sessionTokenStore.get();
    // The hub first: the server closes the session's connections at the logout, and a reconnect would be refused and
    // say "sessão encerrada" to someone who just chose to leave.
    await this.hub.stop();
    if (tokens) {
      try {
        await this.http.post("/api/v1/identity/logout", { refreshToken: tokens.refreshToken });
      } catch {
        // Logging out locally is what matters to the user.
      }
    }

    this.afterLogout(null);
  }

  /**
   * Ends the session on this tab and stays on the page (after an erasure, whose answer the page still shows): no
   * reconnection is tried with a token the server has revoked, and the navigation no longer names the user.
   */
  async endSessionHere(): Promise<void> {
    sessionTokenStore.set(null);
    await this.hub.stop();
    this.banner(null);
    this.onSessionChange();
  }

  /** Shows (or hides, with null) the banner under the top bar. */
  banner(text: string | null, testId = "reconnecting-banner"): void {
    const banner = document.getElementById("banner")!;
    banner.hidden = text === null;
    banner.textContent = text ?? "";
    banner.dataset["testid"] = testId;
  }

  private afterLogout(notice: string | null): void {
    sessionTokenStore.set(null);
    // The notice after the hub has stopped: its last status change clears the banner.
    void this.hub.stop().finally(() => this.banner(notice, notice ? "session-ended" : "reconnecting-banner"));
    this.go("#/login");
  }
}
