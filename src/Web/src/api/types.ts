// The public contract (CONTRACT.md) as the browser sees it.

export type Role = "patient" | "doctor" | "admin";

export interface LoginUser {
  id: string;
  role: Role;
  fullName: string;
}

export interface Tokens {
  accessToken: string;
  expiresAt: string;
  refreshToken: string;
  user: LoginUser;
}

export interface TwoFactorChallenge {
  twoFactorRequired: true;
  challengeToken: string;
}

export type LoginAnswer = Tokens | TwoFactorChallenge;

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Record<string, string[]>;
  [extension: string]: unknown;
}

export interface Doctor {
  doctorId: string;
  fullName: string;
  specialty: string;
  timeZone: string;
}

export interface Slot {
  startsAt: string;
  endsAt: string;
}

export type AppointmentStatus = "scheduled" | "inProgress" | "completed" | "cancelled" | "noShow";

export interface Appointment {
  appointmentId: string;
  doctorId: string;
  doctorName: string | null;
  patientId: string;
  patientName: string | null;
  startsAt: string;
  endsAt: string;
  status: AppointmentStatus;
  reason: string | null;
  durationSeconds: number | null;
}

export interface WeeklyInterval {
  dayOfWeek: string;
  start: string;
  end: string;
}

export interface Availability {
  timeZone: string;
  slotMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  /** The doctor's own notice; null when only the platform's applies. */
  minimumNoticeMinutes: number | null;
  bookingWindowDays: number;
  weekly: WeeklyInterval[];
  /** The notice that applies: the doctor's or the platform's floor, whichever is longer. */
  effectiveMinimumNoticeMinutes: number;
}

export type CallStatus = "ringing" | "accepted" | "rejected" | "cancelled" | "missed" | "ended";

/** Whether a call in this status is over (nothing follows it). */
export const isCallOver = (status: CallStatus): boolean => status !== "ringing" && status !== "accepted";

export interface Participant {
  busy?: boolean;
  userId: string;
  role: "patient" | "doctor";
  joined: boolean;
  online: boolean;
}

export interface CallState {
  roomId: string;
  appointmentId: string;
  status: CallStatus;
  participants: Participant[];
  startedAt?: string | null;
  endedAt?: string | null;
  durationSeconds?: number | null;
  endReason?: string | null;
  maxDurationSeconds?: number;
}

export interface IceServerConfig {
  urls: string[];
  username?: string | null;
  credential?: string | null;
}

export interface JoinRoomResult {
  roomId: string;
  appointmentId: string;
  status: CallStatus;
  participants: Participant[];
  iceServers: IceServerConfig[];
  self?: { userId: string; role: "patient" | "doctor"; polite: boolean };
  /** The chat so far: what was written while this connection was not in the room. */
  chat?: { at: string; fromUserId: string; text: string }[];
}

export interface CallRequested {
  roomId: string;
  appointmentId: string;
  from: { userId: string; fullName: string };
  requestedAt: string;
}

export interface CallStatusChanged {
  roomId: string;
  status: CallStatus;
  byUserId: string | null;
  at: string;
}

export interface SignalMessage {
  roomId: string;
  fromUserId: string;
  kind: "offer" | "answer" | "candidate" | "restart" | "bye";
  payload: string;
  seq: number;
}

export interface ChatMessage {
  roomId: string;
  fromUserId: string;
  text: string;
  at: string;
}

/** A credential document a doctor sent for verification (CRM, an ID with photo). */
export interface CredentialDocument {
  id: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  uploadedAt: string;
}
