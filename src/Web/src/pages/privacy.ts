import type { App } from "../app";
import { ApiError } from "../api/http";
import { h, message, mount } from "../ui/dom";
import { formatDateTime } from "../ui/format";

interface Consent {
  type: string;
  version: string;
  granted: boolean;
  recordedAt: string;
}

const consentTexts: Record<string, { title: string; text: string }> = {
  telemedicine: {
    title: "Atendimento por telemedicina",
    text: "Concordo em ser atendido(a) por videochamada, ciente das limitações do atendimento a distância (Resolução CFM nº 2.314/2022). Sem este consentimento não é possível agendar nem entrar em consultas.",
  },
  dataProcessing: {
    title: "Tratamento de dados pessoais",
    text: "Concordo com o tratamento dos meus dados pessoais e de saúde para a prestação do atendimento, conforme a LGPD (Lei nº 13.709/2018).",
  },
};

/** Privacidade: the user's consents (grant and revoke, versioned). */
export async function renderPrivacy(app: App): Promise<void> {
  const list = h("div", { class: "consents" });
  const root = mount("privacidade", h("div", { class: "card" }, h("h1", {}, "Privacidade"), h("h2", {}, "Consentimentos"), list));
  const load = async () => {
    const current = await app.http.get<Consent[]>("/api/v1/privacy/consents");
    list.replaceChildren(...Object.entries(consentTexts).map(([type, { title, text }]) => {
      const consent = current.find((c) => c.type === type);
      const granted = consent?.granted ?? false;
      return h("div", { class: "consent", "data-testid": `consent-${type}`, "data-granted": String(granted) },
        h("h3", {}, title), h("p", {}, text),
        consent ? h("p", { class: "muted" }, `${granted ? "Concedido" : "Revogado"} em ${formatDateTime(consent.recordedAt)} (versão ${consent.version})`) : null,
        h("button", {
          type: "button", class: granted ? "danger" : "primary", "data-testid": `consent-${type}-toggle`,
          onclick: async () => {
            await app.http.post("/api/v1/privacy/consents", { type, granted: !granted });
            await load();
          },
        }, granted ? "Revogar" : "Concordo"));
    }));
  };
  try {
    await load();
  } catch (e) {
    root.append(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar."));
  }
}
