import type { App } from "../app";
import { ApiError } from "../api/http";
import { browserTimeZone } from "../ui/format";
import { field, h, message, mount, showFieldErrors } from "../ui/dom";

const states = ["AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO"];

export async function renderRegister(app: App): Promise<void> {
  const role = h("select", { name: "role", "data-testid": "register-role" },
    h("option", { value: "patient" }, "Sou paciente"), h("option", { value: "doctor" }, "Sou médico(a)"));
  const fullName = h("input", { name: "fullName", autocomplete: "name", required: true, "data-testid": "register-name" });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, "data-testid": "register-email" });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: 10, required: true, "data-testid": "register-password" });
  const phone = h("input", { type: "tel", name: "phone", autocomplete: "tel", "data-testid": "register-phone" });
  const birthDate = h("input", { type: "date", name: "birthDate", "data-testid": "register-birth-date" });
  const cpf = h("input", { name: "cpf", inputmode: "numeric", "data-testid": "register-cpf" });
  const crm = h("input", { name: "crm", inputmode: "numeric", "data-testid": "register-crm" });
  const crmState = h("select", { name: "crmState" }, ...states.map((s) => h("option", { value: s }, s)));
  const specialty = h("select", { name: "specialty" });
  const doctorFields = h("fieldset", { class: "doctor-only", hidden: true }, h("legend", {}, "Registro profissional"),
    field("CRM", crm), field("UF do CRM", crmState), field("Especialidade", specialty));
  const status = h("div", { class: "status" });
  const form = h("form", { class: "card" },
    h("h1", {}, "Criar conta"),
    field("Perfil", role), field("Nome completo", fullName), field("E-mail", email),
    field("Senha", password, "Pelo menos 10 caracteres. Uma frase é ótima."),
    field("Telefone (opcional)", phone), field("Data de nascimento (opcional)", birthDate), field("CPF (opcional)", cpf),
    doctorFields, status,
    h("button", { type: "submit", class: "primary", "data-testid": "register-submit" }, "Criar conta"));
  role.addEventListener("change", () => (doctorFields.hidden = role.value !== "doctor"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const isDoctor = role.value === "doctor";
    try {
      await app.http.post("/api/v1/identity/register", {
        role: role.value,
        fullName: fullName.value.trim(),
        email: email.value.trim(),
        password: password.value,
        phone: phone.value.trim() || undefined,
        birthDate: birthDate.value || undefined,
        cpf: cpf.value.trim() || undefined,
        timeZone: browserTimeZone(),
        crm: isDoctor ? crm.value.trim() : undefined,
        crmState: isDoctor ? crmState.value : undefined,
        specialty: isDoctor ? specialty.value : undefined,
      });
      form.replaceChildren(h("h1", {}, "Confira seu e-mail"),
        message("success", `Enviamos um link de confirmação para ${email.value.trim()}. Abra-o para ativar sua conta.`, "register-done"),
        h("p", { hidden: !isDoctor }, "Depois da confirmação, nossa equipe verifica seu CRM antes de liberar a agenda."),
        h("a", { href: "#/login", class: "button" }, "Ir para o login"));
    } catch (e) {
      if (e instanceof ApiError) {
        showFieldErrors(form, e.fieldErrors());
        status.replaceChildren(message("error", e.message));
      } else {
        status.replaceChildren(message("error", "Não foi possível conectar."));
      }
    }
  });
  mount("cadastro", form);

  try {
    const specialties = await app.http.get<{ id: string; name: string }[]>("/api/v1/scheduling/specialties");
    specialty.replaceChildren(...specialties.map((s) => h("option", { value: s.name }, s.name)));
  } catch {
    specialty.replaceChildren(h("option", { value: "Clínica Médica" }, "Clínica Médica"));
  }
}
