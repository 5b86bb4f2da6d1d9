/**
 * The access report in words a patient reads: the audit trail's codes (action, resource type, purpose) in pt-BR. A code
 * without a label (one added later) still reads as Portuguese, in general terms; an architecture test
 * (AuditLabelsTests) fails when the server records a code this file does not label.
 */
const actions: Record<string, string> = {
  create: "Criou",
  read: "Consultou",
  update: "Alterou",
  delete: "Excluiu",
  execute: "Processou",
  login: "Entrou na conta",
  logout: "Saiu da conta",
  security: "Segurança da conta",
};

const resources: Record<string, string> = {
  AccessReport: "o relatório de acessos",
  AccountLock: "o bloqueio da conta",
  AccountUnlock: "o desbloqueio da conta",
  Appointment: "uma consulta",
  AppointmentHistory: "o histórico de uma consulta",
  AppointmentList: "a lista de consultas",
  AuditCheckpoint: "um ponto de verificação da trilha de auditoria",
  AuditTrail: "a trilha de auditoria",
  Availability: "a agenda de disponibilidade",
  Avatar: "a foto do perfil",
  BlockedDate: "um dia bloqueado da agenda",
  Call: "uma chamada de vídeo",
  CallDiagnostics: "o diagnóstico técnico de uma chamada",
  Consent: "os consentimentos",
  DataExport: "uma exportação dos seus dados",
  DataExportList: "a lista de exportações",
  DoctorDocument: "um documento de credenciamento",
  DoctorDocumentList: "os documentos de credenciamento",
  DoctorVerification: "a verificação do cadastro médico",
  EmailConfirmation: "a confirmação do e-mail",
  Incident: "um registro de incidente",
  Lockout: "o bloqueio por tentativas de acesso",
  Password: "a senha",
  PersonalData: "os dados pessoais",
  RefreshToken: "uma sessão",
  Session: "uma sessão",
  Specialty: "uma especialidade médica",
  TwoFactor: "a verificação em duas etapas",
  TwoFactorReset: "a verificação em duas etapas (redefinição)",
  User: "o cadastro",
  UserContact: "os dados de contato",
  UserList: "uma busca de usuários",
  UserProfile: "o perfil",
  WaitingRoom: "a sala de espera",
};

const purposes: Record<string, string> = {
  administration: "Administração da plataforma",
  audit: "Auditoria",
  care: "Atendimento",
  "credential-verification": "Verificação do credenciamento médico",
  "data-subject-request": "Pedido seu (LGPD)",
  erasure: "Eliminação dos seus dados, a seu pedido (LGPD)",
  "incident-response": "Resposta a incidente de segurança",
  notification: "Envio de avisos",
  operations: "Operação técnica do serviço",
  retention: "Fim do prazo de guarda",
  "scheduling-job": "Rotina automática da agenda",
  "self-service": "Você mesmo(a)",
};

/**
 * Who reads the labels: the person the data is about (their access report: "Você mesmo(a)") or an admin reading
 * the trail about someone else ("Pelo próprio titular").
 */
export type Reader = "subject" | "admin";

/** The purposes worded for an admin, where the subject's wording speaks to the wrong person. */
const adminPurposes: Record<string, string> = {
  "data-subject-request": "Pedido do titular (LGPD)",
  erasure: "Eliminação dos dados a pedido do titular (LGPD)",
  "self-service": "Pelo próprio titular",
};

/** Pairs that verb and object do not say well put together ("Alterou o bloqueio da conta", "Consultou uma consulta"). */
const phrases: Record<string, string> = {
  "update:AccountLock": "Bloqueou a conta",
  "update:AccountUnlock": "Desbloqueou a conta",
  "read:Appointment": "Consultou os dados de uma consulta",
};

/** "Consultou os dados de contato" for ("read", "UserContact"). */
export function describeAccess(action: string, resourceType: string, reader: Reader = "subject"): string {
  const phrase = phrases[`${action}:${resourceType}`];
  if (phrase) return phrase;
  const verb = actions[action] ?? "Acessou";
  const what = resources[resourceType] ?? (reader === "admin" ? "dados da conta" : "dados da sua conta");
  if (action === "login" || action === "logout") return verb;
  // "Segurança da conta" names a kind of event, not a verb: what it was about follows a colon.
  return action === "security" ? `${verb}: ${what}` : `${verb} ${what}`;
}

export function describePurpose(purpose: string | null, reader: Reader = "subject"): string {
  if (!purpose) return "—";
  return (reader === "admin" ? adminPurposes[purpose] : undefined) ?? purposes[purpose] ?? "Outro motivo registrado";
}
