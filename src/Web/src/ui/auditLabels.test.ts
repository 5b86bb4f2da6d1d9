import { describe, expect, it } from "vitest";
import { describeAccess, describePurpose } from "./auditLabels";

describe("access report labels", () => {
  it("reads the audit codes in Portuguese", () => {
    expect(describeAccess("read", "UserContact")).toBe("Consultou os dados de contato");
    expect(describeAccess("update", "Appointment")).toBe("Alterou uma consulta");
    expect(describeAccess("login", "Session")).toBe("Entrou na conta");
    expect(describePurpose("care")).toBe("Atendimento");
    expect(describePurpose(null)).toBe("—");
  });

  it("says the pairs that verb and object would say badly", () => {
    expect(describeAccess("security", "EmailConfirmation")).toBe("Segurança da conta: a confirmação do e-mail");
    expect(describeAccess("update", "AccountLock", "admin")).toBe("Bloqueou a conta");
    expect(describeAccess("update", "AccountUnlock", "admin")).toBe("Desbloqueou a conta");
    expect(describeAccess("read", "Appointment")).toBe("Consultou os dados de uma consulta");
  });

  it("never shows a code it does not know", () => {
    expect(describeAccess("archive", "LabResult")).toBe("Acessou dados da sua conta");
    expect(describePurpose("research")).toBe("Outro motivo registrado");
  });

  it("speaks to an admin about the subject, not to the subject", () => {
    expect(describePurpose("self-service")).toBe("Você mesmo(a)");
    expect(describePurpose("self-service", "admin")).toBe("Pelo próprio titular");
    expect(describePurpose("data-subject-request", "admin")).toBe("Pedido do titular (LGPD)");
    expect(describePurpose("care", "admin")).toBe("Atendimento");
    expect(describeAccess("archive", "LabResult", "admin")).toBe("Acessou dados da conta");
    expect(describePurpose("erasure")).toBe("Eliminação dos seus dados, a seu pedido (LGPD)");
    expect(describePurpose("erasure", "admin")).toBe("Eliminação dos dados a pedido do titular (LGPD)");
    expect(describePurpose("retention", "admin")).toBe("Fim do prazo de guarda");
  });
});
