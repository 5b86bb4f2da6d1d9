import type { CallSession } from "./call/callSession";

declare global {
  interface Window {
    telemedicina: {
      session?: CallSession;
      hubState: () => string;
    };
  }
}

export {};
