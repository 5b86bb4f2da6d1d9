import { Http } from "./api/http";
import { currentUser, homeFor, sessionTokenStore } from "./api/session";
import type { LoginUser, Tokens } from "./api/types";
import { Hub } from "./realtime/hub";

/** What every page gets: the API client, the tab's hub connection and navigation. */
export class App {
  readonly http: Http;
  readonly hub: Hub;

  constructor() {
    this.http = new Http(undefined, sessionTokenStore, () => this.afterLogout());
    this.hub = new Hub(() => this.http.accessToken());
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

  async signIn(tokens: Tokens): Promise<void> {
    sessionTokenStore.set(tokens);
    await this.hub.stop();
    void this.hub.start();
    this.go(this.home());
  }

  async signOut(): Promise<void> {
    const tokens = sessionTokenStore.get();
    if (tokens) {
      try {
        await this.http.post("/api/v1/identity/logout", { refreshToken: tokens.refreshToken });
      } catch {
        // Logging out locally is what matters to the user.
      }
    }

    this.afterLogout();
  }

  /** Shows (or hides, with null) the banner under the top bar. */
  banner(text: string | null, testId = "reconnecting-banner"): void {
    const banner = document.getElementById("banner")!;
    banner.hidden = text === null;
    banner.textContent = text ?? "";
    banner.dataset["testid"] = testId;
  }

  private afterLogout(): void {
    sessionTokenStore.set(null);
    void this.hub.stop();
    this.go("#/login");
  }
}
