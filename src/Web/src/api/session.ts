import type { LoginUser, Tokens } from "./types";

const KEY = "telemedicina.session";

/** Where the tokens live: this tab's sessionStorage (gone when the tab closes). */
export interface TokenStore {
  get(): Tokens | null;
  set(tokens: Tokens | null): void;
}

export const sessionTokenStore: TokenStore = {
  get() {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  },
  set(tokens) {
    if (tokens) sessionStorage.setItem(KEY, JSON.stringify(tokens));
    else sessionStorage.removeItem(KEY);
  },
};

export function currentUser(store: TokenStore = sessionTokenStore): LoginUser | null {
  return store.get()?.user ?? null;
}

export function homeFor(user: LoginUser | null): string {
  if (!user) return "#/login";
  return user.role === "doctor" ? "#/medico" : user.role === "admin" ? "#/admin" : "#/paciente";
}
