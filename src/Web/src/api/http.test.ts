import { describe, expect, it } from "vitest";
import { ApiError, Http } from "./http";
import type { TokenStore } from "./session";
import type { Tokens } from "./types";

const tokens = (access: string, refresh: string): Tokens => ({
  accessToken: access, refreshToken: refresh, expiresAt: "2030-01-01T00:00:00Z", user: { id: "u", role: "patient", fullName: "Ana" },
});

function memoryStore(initial: Tokens | null): TokenStore & { value: Tokens | null } {
  return { value: initial, get() { return this.value; }, set(t) { this.value = t; } };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("Http", () => {
  it("refreshes once on 401, retries with the new token and stores the rotated pair", async () => {
    const seen: string[] = [];
    const store = memoryStore(tokens("old", "r1"));
    const http = new Http(async (url, init) => {
      const auth = (init?.headers as Record<string, string>)["Authorization"] ?? "";
      seen.push(`${url} ${auth}`);
      if (url === "/api/v1/identity/refresh") return json(200, tokens("new", "r2"));
      return auth === "Bearer new" ? json(200, { ok: true }) : json(401, { title: "Não autorizado" });
    }, store);

    expect(await http.get<{ ok: boolean }>("/api/v1/identity/me")).toEqual({ ok: true });
    expect(seen).toEqual(["/api/v1/identity/me Bearer old", "/api/v1/identity/refresh ", "/api/v1/identity/me Bearer new"]);
    expect(store.value?.refreshToken).toBe("r2");
  });

  it("fetches a protected file with the token, refreshing once, and says why when it is refused", async () => {
    const store = memoryStore(tokens("old", "r1"));
    const http = new Http(async (url, init) => {
      const auth = (init?.headers as Record<string, string>)["Authorization"] ?? "";
      if (url === "/api/v1/identity/refresh") return json(200, tokens("new", "r2"));
      if (url.endsWith("/missing")) return json(404, { title: "Not Found", detail: "Documento não encontrado." });
      return auth === "Bearer new" ? new Response(new Blob(["%PDF-1.7"], { type: "application/pdf" }), { status: 200 }) : json(401, {});
    }, store);

    const file = await http.blob("/api/v1/admin/doctors/d/documents/x");
    expect(await file.text()).toBe("%PDF-1.7");
    await expect(http.blob("/api/v1/admin/doctors/d/documents/missing")).rejects.toThrow("Documento não encontrado.");
  });

  it("asks for a hub ticket with the access token, refreshing an expired one first, and gives the ticket alone", async () => {
    const seen: string[] = [];
    const store = memoryStore(tokens("old", "r1"));
    const http = new Http(async (url, init) => {
      const auth = (init?.headers as Record<string, string>)["Authorization"] ?? "";
      seen.push(`${init?.method ?? "GET"} ${url} ${auth}`);
      if (url === "/api/v1/identity/refresh") return json(200, tokens("new", "r2"));
      return auth === "Bearer new" ? json(200, { ticket: "t-1", expiresAt: "2030-01-01T00:01:00Z" }) : json(401, {});
    }, store);

    expect(await http.hubTicket()).toBe("t-1");
    expect(seen).toEqual(["POST /api/v1/identity/hub-ticket Bearer old", "POST /api/v1/identity/refresh ", "POST /api/v1/identity/hub-ticket Bearer new"]);
  });

  it("sends back the tag of what the page has, keeps it on 304 and takes the new list and tag on 200, across a token refresh", async () => {
    const store = memoryStore(tokens("old", "r1"));
    const sent: string[] = [];
    let current = { tag: '"v1"', body: [{ id: 1 }] };
    const http = new Http(async (url, init) => {
      const headers = init?.headers as Record<string, string>;
      if (url === "/api/v1/identity/refresh") return json(200, tokens("new", "r2"));
      sent.push(`${headers["Authorization"]} ${headers["If-None-Match"] ?? "-"}`);
      if (headers["Authorization"] !== `Bearer ${store.value?.accessToken}` || headers["Authorization"] === "Bearer expired") return json(401, {});
      if (headers["If-None-Match"] === current.tag) return new Response(null, { status: 304, headers: { ETag: current.tag } });
      return new Response(JSON.stringify(current.body), { status: 200, headers: { "Content-Type": "application/json", ETag: current.tag } });
    }, store);

    const first = await http.getIfChanged<{ id: number }[]>("/api/v1/scheduling/appointments");
    expect(first).toEqual({ data: [{ id: 1 }], etag: '"v1"', changed: true });

    const same = await http.getIfChanged("/api/v1/scheduling/appointments", first);
    expect(same).toEqual({ data: [{ id: 1 }], etag: '"v1"', changed: false });
    expect(same.data).toBe(first.data);

    // The token expires: the retry after the refresh still names the tag.
    store.value = tokens("expired", "r1");
    current = { tag: '"v2"', body: [{ id: 1 }, { id: 2 }] };
    const next = await http.getIfChanged("/api/v1/scheduling/appointments", same);
    expect(next).toEqual({ data: [{ id: 1 }, { id: 2 }], etag: '"v2"', changed: true });
    expect(sent).toEqual(['Bearer old -', 'Bearer old "v1"', 'Bearer expired "v1"', 'Bearer new "v1"']);
  });

  it("treats a 304 it did not ask for as an error instead of an empty list", async () => {
    const http = new Http(async () => new Response(null, { status: 304 }), memoryStore(tokens("a", "r")));
    await expect(http.getIfChanged("/api/v1/scheduling/appointments")).rejects.toBeInstanceOf(ApiError);
  });

  it("logs out when the refresh is refused", async () => {
    let loggedOut = false;
    const store = memoryStore(tokens("old", "r1"));
    const http = new Http(async (url) => (url.endsWith("/refresh") ? json(401, {}) : json(401, { detail: "expirado" })), store, () => (loggedOut = true));
    await expect(http.get("/api/v1/identity/me")).rejects.toBeInstanceOf(ApiError);
    expect(loggedOut).toBe(true);
    expect(store.value).toBeNull();
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    const store = memoryStore(tokens("old", "r1"));
    const http = new Http(async (url, init) => {
      if (url.endsWith("/refresh")) {
        refreshes++;
        return json(200, tokens("new", "r2"));
      }
      return (init?.headers as Record<string, string>)["Authorization"] === "Bearer new" ? json(200, 1) : json(401, {});
    }, store);
    await Promise.all([http.get("/a"), http.get("/b"), http.get("/c")]);
    expect(refreshes).toBe(1);
  });

  it("exposes problem+json field errors", async () => {
    const http = new Http(async () => json(400, { title: "Dados inválidos", errors: { email: ["Informe um e-mail válido."] } }), memoryStore(null));
    const error = await http.post("/x", {}).catch((e: ApiError) => e);
    expect((error as ApiError).fieldErrors()).toEqual({ email: "Informe um e-mail válido." });
  });

  it("says what is wrong in its message, not only that something is", async () => {
    const http = new Http(async () => json(400, { title: "Dados inválidos", detail: "Um ou mais campos são inválidos.", errors: { date: ["Esta data já passou."] } }), memoryStore(null));
    const error = await http.post("/x", {}).catch((e: ApiError) => e);
    expect((error as ApiError).message).toBe("Esta data já passou.");
    const plain = await new Http(async () => json(409, { title: "Conflito", detail: "Horário ocupado." }), memoryStore(null)).post("/x", {}).catch((e: ApiError) => e);
    expect((plain as ApiError).message).toBe("Horário ocupado.");
  });
});
