import { describe, expect, it } from "vitest";
import { emailNotice } from "./emailNotice";

describe("emailNotice", () => {
  it("says nothing once the e-mail is confirmed", () => {
    expect(emailNotice({ role: "patient", emailConfirmed: true, emailConfirmationRequired: true })).toBeNull();
  });

  it("tells a patient booking waits on the confirmation, and a doctor being found, where the deployment needs it", () => {
    expect(emailNotice({ role: "patient", emailConfirmed: false, emailConfirmationRequired: true })).toContain("agendar");
    expect(emailNotice({ role: "doctor", emailConfirmed: false, emailConfirmationRequired: true })).toContain("busca");
  });

  it("does not say booking waits on it where nothing needs the confirmation", () => {
    const notice = emailNotice({ role: "patient", emailConfirmed: false, emailConfirmationRequired: false });
    expect(notice).not.toBeNull();
    expect(notice).not.toContain("agendar");
    expect(notice).toContain("Nada depende disso");
  });
});
