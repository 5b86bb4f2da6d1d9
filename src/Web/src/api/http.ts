import type { Problem, Tokens } from "./types";
import { sessionTokenStore, type TokenStore } from "./session";

/** An API error carrying the problem+json body, with a message fit to show in pt-BR. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    // A validation problem's detail is only "one or more fields are invalid": the fields' own messages say which and why
    // ("Esta data já passou."), for pages that show one message rather than marking each field.
    const fields = Object.values(problem.errors ?? {}).map((messages) => messages[0]).filter((m): m is string => !!m);
    super(fields.length > 0 ? fields.join(" ") : problem.detail ?? problem.title ?? `Erro ${status}`);
  }

  /** The first message of each invalid field, for forms. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [field, messages] of Object.entries(this.problem.errors ?? {})) {
      if (messages.length > 0) out[field] = messages[0]!;
    }
    return out;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * JSON over fetch with the bearer token, one transparent refresh on 401 (rotating refresh
 * tokens: the new pair replaces the old), and logout when the refresh fails.
 */
export class Http {
  private refreshing: Promise<boolean> | null = null;

  constructor(
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
    private readonly tokens: TokenStore = sessionTokenStore,
    private readonly onLoggedOut: () => void = () => {},
  ) {}

  get<T>(path: string): Promise<T> {
    return this.send<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>("POST", path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>("PUT", path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.send<T>("DELETE", path);
  }

  /**
   * A single-use ticket for the hub's WebSocket (the server's HubTickets): a WebSocket URL carries its credential, and
   * load balancers log URLs; a spent ticket in a log opens nothing. Asked for right before each connect, with the
   * usual refresh when the access token has expired.
   */
  async hubTicket(): Promise<string> {
    return (await this.post<{ ticket: string }>("/api/v1/identity/hub-ticket")).ticket;
  }

  async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.authorized(method, path, body);
    const text = await response.text();
    const data = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      throw new ApiError(response.status, (data as Problem | undefined) ?? { title: response.statusText, status: response.status });
    }

    return data as T;
  }

  /** A file the API serves to the signed-in user only (a doctor's credential document), to show or save. */
  async blob(path: string): Promise<Blob> {
    const response = await this.authorized("GET", path);
    if (!response.ok) {
      const text = await response.text();
      let problem: Problem = { title: response.statusText, status: response.status };
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        // Not a problem+json: the status says enough.
      }
      throw new ApiError(response.status, problem);
    }

    return response.blob();
  }

  /** Sends a file as the request's body, typed by its own content type (the API's uploads take the bytes as they are). */
  upload<T>(path: string, file: Blob): Promise<T> {
    return this.send<T>("POST", path, file);
  }

  private async authorized(method: string, path: string, body?: unknown, retry = true): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const raw = body instanceof Blob;
    if (body !== undefined) headers["Content-Type"] = raw ? (body.type || "application/octet-stream") : "application/json";
    const token = this.tokens.get()?.accessToken;
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const response = await this.fetcher(path, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
    if (response.status === 401 && retry && token && !path.includes("/identity/login") && (await this.refresh())) {
      return this.authorized(method, path, body, false);
    }

    return response;
  }

  /** Rotates the refresh token once, even when several requests hit 401 at the same time. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const current = this.tokens.get();
    if (!current) return false;
    const response = await this.fetcher("/api/v1/identity/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refreshToken: current.refreshToken }),
    });
    if (!response.ok) {
      this.tokens.set(null);
      this.onLoggedOut();
      return false;
    }

    this.tokens.set((await response.json()) as Tokens);
    return true;
  }
}
