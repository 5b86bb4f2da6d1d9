/** What the profile's e-mail notice needs of the account. */
export interface EmailState {
  role: string;
  emailConfirmed: boolean;
  /** Whether this deployment needs a confirmed e-mail (a patient to book, a doctor to be found). */
  emailConfirmationRequired: boolean;
}

/**
 * The profile's notice about an unconfirmed e-mail, or null. It says what waits on the confirmation only where
 * something does: with the confirmation switched off, "confirme para poder agendar" sent patients after a link
 * they did not need.
 */
export function emailNotice(me: EmailState): string | null {
  if (me.emailConfirmed) {
    return null;
  }

  if (!me.emailConfirmationRequired) {
    return "Seu e-mail ainda não foi confirmado. Nada depende disso agora, mas confirmar garante que os avisos chegam a você.";
  }

  switch (me.role) {
    case "patient":
      return "Confirme seu e-mail para poder agendar consultas.";
    case "doctor":
      return "Confirme seu e-mail para aparecer na busca dos pacientes.";
    default:
      return "Confirme seu e-mail.";
  }
}
