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

/** What a conditional GET gave: the data, its entity tag, and whether it differs from what the page already had. */
export interface Fetched<T> {
  readonly data: T;
  readonly etag: string | null;
  readonly changed: boolean;
}

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

  /**
   * A GET for what a page polls: it sends back the entity tag of what the page shows, and the server answers 304, with
   * no body, while that is still current (the previous data is kept, `changed` is false). The server records no read
   * of personal data for a 304: nothing new was shown.
   */
  async getIfChanged<T>(path: string, previous?: Fetched<T>): Promise<Fetched<T>> {
    const response = await this.authorized("GET", path, undefined, true, previous?.etag ? { "If-None-Match": previous.etag } : {});
    if (response.status === 304 && previous) return { data: previous.data, etag: previous.etag, changed: false };
    return { data: await this.parse<T>(response), etag: response.headers.get("ETag"), changed: true };
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
    return this.parse<T>(await this.authorized(method, path, body));
  }

  private async parse<T>(response: Response): Promise<T> {
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

  private async authorized(method: string, path: string, body?: unknown, retry = true, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { ...extra, Accept: "application/json" };
    const raw = body instanceof Blob;
    if (body !== undefined) headers["Content-Type"] = raw ? (body.type || "application/octet-stream") : "application/json";
    const token = this.tokens.get()?.accessToken;
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const response = await this.fetcher(path, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
    if (response.status === 401 && retry && token && !path.includes("/identity/login") && (await this.refresh())) {
      return this.authorized(method, path, body, false, extra);
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
